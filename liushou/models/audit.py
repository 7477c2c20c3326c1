"""The append-only audit log."""

import json
from datetime import timedelta

from peewee import CharField, DateTimeField, IntegerField, TextField

from .. import clock
from ..db import BaseModel

ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "view": "查看",
    "create": "新增",
    "update": "修改",
    "exit": "退出登记",
    "reenter": "重新登记",
    "void": "作废",
    "print": "打印",
    "export": "导出",
    "import": "导入",
    "crosscheck": "比对核实",
    "settings": "设置",
    "submit": "提交审核",
    "approve": "审核通过",
    "return": "退回",
    "withdraw": "撤回",
}
RETENTION_DAYS = 180


class AuditLog(BaseModel):
    """One thing someone did; never updated, never deleted before RETENTION_DAYS (triggers
    enforce it)."""

    at = DateTimeField(default=clock.now, index=True)
    user_id = IntegerField(null=True, index=True)
    username = CharField(max_length=64, default="")
    ip = CharField(max_length=64, default="")
    action = CharField(max_length=16, index=True)
    object_type = CharField(max_length=32, default="")
    object_id = IntegerField(null=True)
    object_label = CharField(max_length=128, default="")
    changes = TextField(default="")  # JSON list of [field, before, after]

    class Meta:
        table_name = "audit_log"
        indexes = ((("object_type", "object_id", "action"), False),)

    @property
    def action_label(self):
        return ACTIONS.get(self.action, self.action)

    @property
    def change_list(self):
        return json.loads(self.changes) if self.changes else []

    @classmethod
    def search(cls, *, action=None, username=None, object_type=None, since=None, until=None):
        """Newest first, filtered by the admin's criteria."""
        q = cls.select().order_by(cls.id.desc())
        if action:
            q = q.where(cls.action == action)
        if username:
            q = q.where(cls.username == username)
        if object_type:
            q = q.where(cls.object_type == object_type)
        if since:
            q = q.where(cls.at >= since)
        if until:
            q = q.where(cls.at < until + timedelta(days=1))
        return q
