"""The time, in one place, so tests can move it instead of waiting."""
from datetime import datetime


def now():
    return datetime.now().replace(microsecond=0)
