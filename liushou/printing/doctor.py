"""What printing needs on this machine: a CJK font through fontconfig, HarfBuzz's subsetter, and
WeasyPrint (with Pango) loadable."""

import ctypes.util
import shutil
import subprocess
import sys

from .render import CJK_FAMILY


def checks():
    """[(ok, message)] about what printing needs on this machine."""
    out = []
    fc_list = shutil.which("fc-list")
    families = ""
    if fc_list:
        families = subprocess.run(
            [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=20
        ).stdout
    cjk = CJK_FAMILY in families
    if cjk:
        out.append((True, f"中文字体 {CJK_FAMILY}已安装"))
    else:
        out.append(
            (
                False,
                f"中文字体 {CJK_FAMILY} 未找到：请安装 fonts-noto-cjk"
                "（apt-get install fonts-noto-cjk），否则打印的中文会缺字",
            )
        )
    if ctypes.util.find_library("harfbuzz-subset") is not None:
        out.append((True, "HarfBuzz 字体子集库已安装"))
    else:
        out.append(
            (
                False,
                "HarfBuzz 字体子集库 未找到：请安装 libharfbuzz-subset0，"
                "否则生成 PDF 会慢 10–40 倍",
            )
        )
    # Loading WeasyPrint is itself the check (it needs Pango). In a child interpreter: the
    # server runs these checks at start and keeps none of WeasyPrint's 20 MB (only the PDF
    # workers load it).
    loaded = subprocess.run(
        [sys.executable, "-c", "import weasyprint; print(weasyprint.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if loaded.returncode == 0:
        out.append((True, f"WeasyPrint {loaded.stdout.strip()}"))
    else:  # Pango missing (OSError) or WeasyPrint not installed
        error = (loaded.stderr.strip().splitlines() or ["?"])[-1]
        out.append((False, f"WeasyPrint 无法加载（缺少 Pango？）：{error}"))
    return out
