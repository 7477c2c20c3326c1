"""Whether a child's guardian or entrusted carer (委托照护人) qualifies."""

from .categories import age_on

# Full civil capacity starts at 18 (民法典 第十七、十八条): national law, not a local setting.
ADULT_AGE = 18


def capability_problem(capable, carer_birth, on):
    """Why `capable` (具备照护能力) cannot be ticked for a carer born on `carer_birth`, in
    Chinese; None when it can (or when the carer's birth date is unknown)."""
    if capable and carer_birth is not None:
        age = age_on(carer_birth, on)
        if age < ADULT_AGE:
            return f"照护人身份证显示其{age}周岁，未成年人不能认定为具备照护能力"
    return None


def qualified(name, capable, disqualifiers, carer_birth, on):
    """True/False once the checklist is filled in, None while unknown; a minor never
    qualifies, whatever was ticked."""
    if not name:
        return None
    if carer_birth is not None and age_on(carer_birth, on) < ADULT_AGE:
        return False
    if capable is None:
        return None
    return bool(capable) and not disqualifiers
