"""Peewee models. No Flask in here."""

from .accounts import ROLES, User, UserGrid
from .agreement_events import AgreementEvent
from .audit import AuditLog
from .care import Emergency, EmergencyCall, EmergencyStep, Need, Service
from .county_loads import CountyLoad
from .crosscheck import Crosscheck, CrosscheckRow
from .files import Attachment
from .group_events import GroupEvent
from .helpers import Helper, HelperArea, VillagePost
from .households import FamilyAway, Household
from .month_rates import MonthRates, PeriodFigures
from .orgs import Membership, Organisation
from .persons import Person
from .places import Grid, Township, Village
from .records import Activity, Attendance, Benefit, CheckUp, Site
from .review import ReviewItem
from .settings import Setting
from .site_events import SiteEvent
from .suggestions import SuggestionDismissal
from .tier_events import TierEvent
from .visits import CheckIn, Pairing, Visit, VisitHelper, VisitPerson, VisitState

ALL_MODELS = [
    Township,
    Village,
    Grid,
    User,
    UserGrid,
    Setting,
    AuditLog,
    Helper,
    HelperArea,
    VillagePost,
    Household,
    FamilyAway,
    Person,
    GroupEvent,
    Pairing,
    Visit,
    VisitPerson,
    VisitHelper,
    VisitState,
    TierEvent,
    CheckIn,
    Need,
    Service,
    Emergency,
    EmergencyStep,
    Benefit,
    CheckUp,
    Site,
    SiteEvent,
    Activity,
    Attendance,
    Organisation,
    Membership,
    EmergencyCall,
    SuggestionDismissal,
    Attachment,
    Crosscheck,
    CrosscheckRow,
    ReviewItem,
    AgreementEvent,
    MonthRates,
    PeriodFigures,
    CountyLoad,
]

__all__ = ["ALL_MODELS", "ROLES", *(m.__name__ for m in ALL_MODELS)]
