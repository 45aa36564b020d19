"""Run in pyicloud 2026.10.1's venv: map CloudKit Reminders records (JSON on stdin) with
pyicloud's own ``RemindersRecordMapper`` and print what it read, one JSON line."""

import json
import logging
import sys
from typing import Any

from pyicloud.common.cloudkit import CKRecord
from pyicloud.services.reminders._mappers import RemindersRecordMapper


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def main() -> None:
    mapper = RemindersRecordMapper(lambda: None, logging.getLogger("mapper"))
    out: list[dict[str, Any]] = []
    for raw in json.load(sys.stdin):
        rec = CKRecord.model_validate(raw)
        kind = rec.recordType
        if kind == "List":
            lst = mapper.record_to_list(rec)
            row: dict[str, Any] = {
                "title": lst.title,
                "color": lst.color,
                "count": lst.count,
                "reminder_ids": lst.reminder_ids,
            }
        elif kind == "Reminder":
            r = mapper.record_to_reminder(rec)
            row = {
                "title": r.title,
                "desc": r.desc,
                "list_id": r.list_id,
                "due": _iso(r.due_date),
                "time_zone": r.time_zone,
                "all_day": r.all_day,
                "priority": r.priority,
                "flagged": r.flagged,
                "completed": r.completed,
                "completed_date": _iso(r.completed_date),
                "parent": r.parent_reminder_id,
                "alarm_ids": r.alarm_ids,
                "hashtag_ids": r.hashtag_ids,
                "attachment_ids": r.attachment_ids,
                "recurrence_rule_ids": r.recurrence_rule_ids,
            }
        elif kind == "AlarmTrigger":
            t = mapper.record_to_alarm_trigger(rec)
            row = {"dump": json.loads(t.model_dump_json()) if t else None}
        elif kind == "Attachment":
            a = mapper.record_to_attachment(rec)
            row = {"url": getattr(a, "url", None), "reminder_id": a.reminder_id if a else None}
        elif kind == "Hashtag":
            h = mapper.record_to_hashtag(rec)
            row = {"name": h.name, "reminder_id": h.reminder_id}
        elif kind == "RecurrenceRule":
            rule = mapper.record_to_recurrence_rule(rec)
            row = {
                "frequency": int(rule.frequency),
                "interval": rule.interval,
                "count": rule.occurrence_count,
                "reminder_id": rule.reminder_id,
            }
        elif kind == "Alarm":
            alarm = mapper.record_to_alarm(rec)
            row = {"reminder_id": alarm.reminder_id, "trigger_id": alarm.trigger_id}
        else:
            row = {}
        out.append({"record": rec.recordName, "type": kind, **row})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
