"""Pinyin for name search: full pinyin and initials, with surnames read as surnames."""

# Characters whose reading as a surname differs from the everyday reading pypinyin picks.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "区": "ou",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "召": "shao",
    "尉": "yu",
    "繁": "po",
    "员": "yun",
    "种": "chong",
    "秘": "bi",
    "句": "gou",
    "阚": "kan",
    "牟": "mu",
    "殷": "yin",
    "蕃": "pi",
    "长": "chang",
    "重": "chong",
    "柏": "bai",
    "藏": "zang",
}
# Two-character surnames read as written by pypinyin already (尉迟, 万俟) keep their own reading.
COMPOUND_SURNAMES = (
    "尉迟",
    "万俟",
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
)


def syllables(name):
    """The pinyin syllables of a name, lowercase, tone-less."""
    from pypinyin import Style, lazy_pinyin  # 0.4 s to import: only when a name is written

    name = (name or "").strip()
    if not name:
        return []
    parts = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    if not name.startswith(COMPOUND_SURNAMES) and name[0] in SURNAME_READINGS and parts:
        parts[0] = SURNAME_READINGS[name[0]]
    return [p.lower().replace("ü", "v") for p in parts if p.isascii() and p.isalpha()]


def keys(name):
    """(initials, full pinyin) of a name, e.g. 张三 -> ("zs", "zhangsan")."""
    parts = syllables(name)
    return "".join(p[0] for p in parts), "".join(parts)


def prefix_range(text):
    """(low, high) so that low <= value < high selects values starting with text (uses indexes)."""
    return text, text[:-1] + chr(ord(text[-1]) + 1)
