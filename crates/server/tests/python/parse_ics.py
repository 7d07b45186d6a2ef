"""Reads an iCalendar body on stdin, parses it with the independent `icalendar` library and
prints what a calendar app would see, as JSON, for `tests/calendar_ics.rs` to compare with what
was rendered.

Output: {"calendars": n, "components": [names in order], "errors": [...], "calendar": {version,
prodid, calscale, method, description, name, x-wr-calname, x-wr-caldesc (the last three read as
TEXT, each with the class icalendar itself parsed it as), refresh_minutes, published_ttl},
"events": [{uid, stamp, summary, description, location, url, dtstart, dtend,
alarms: [{action, trigger_minutes, description}]}]}. Absent properties are null; dtstart and
dtend are {"date": "YYYY-MM-DD"} or {"datetime": ISO 8601 with its UTC offset}, so a naive or
floating time would show; an alarm's trigger is in minutes relative to the start (negative:
before).
"""

import datetime
import json
import sys

import icalendar
from icalendar.parser import unescape_backslash


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def as_text(component, name):
    """A property icalendar does not know comes back as vUnknown, still escaped. That includes
    RFC 7986's NAME (TEXT, §5.1) and the X-WR-CALNAME and X-WR-CALDESC that calendar apps read
    as TEXT, so this reads them as TEXT, with the library's own unescaping."""
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, icalendar.vText):
        return str(value)
    # vText.from_ical does not unescape (the component parser does, for the properties it knows).
    return unescape_backslash(str(value))


def when(component, name):
    prop = component.get(name)
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    return {"date": value.isoformat()}


def minutes(delta):
    seconds = delta.total_seconds()
    if seconds % 60:
        raise ValueError(f"trigger {delta} is not whole minutes")
    return int(seconds // 60)


def main():
    body = sys.stdin.buffer.read()
    calendars = icalendar.Calendar.from_ical(body, multiple=True)
    out = {"calendars": len(calendars), "components": [], "errors": [], "events": []}
    cal = calendars[0]
    out["calendar"] = {
        name.lower(): text(cal, name) for name in ("VERSION", "PRODID", "CALSCALE", "METHOD", "DESCRIPTION")
    }
    for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC"):
        out["calendar"][name.lower()] = as_text(cal, name)
        out["calendar"][name.lower() + "_parsed_as"] = type(cal.get(name)).__name__
    refresh = cal.get("REFRESH-INTERVAL")
    out["calendar"]["refresh_minutes"] = None if refresh is None else minutes(refresh.dt)
    ttl = cal.get("X-PUBLISHED-TTL")
    out["calendar"]["published_ttl"] = text(cal, "X-PUBLISHED-TTL") if ttl is not None else None
    for calendar in calendars:
        for component in calendar.walk():
            out["components"].append(component.name)
            out["errors"].extend(f"{component.name}: {prop}: {error}" for prop, error in component.errors)
    for event in cal.walk("VEVENT"):
        alarms = []
        for alarm in event.walk("VALARM"):
            alarms.append(
                {
                    "action": text(alarm, "ACTION"),
                    "trigger_minutes": minutes(alarm["TRIGGER"].dt),
                    "description": text(alarm, "DESCRIPTION"),
                }
            )
        out["events"].append(
            {
                "uid": text(event, "UID"),
                "stamp": when(event, "DTSTAMP"),
                "summary": text(event, "SUMMARY"),
                "description": text(event, "DESCRIPTION"),
                "location": text(event, "LOCATION"),
                "url": text(event, "URL"),
                "dtstart": when(event, "DTSTART"),
                "dtend": when(event, "DTEND"),
                "alarms": alarms,
            }
        )
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
