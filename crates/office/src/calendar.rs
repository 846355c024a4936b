//! iCalendar (RFC 5545) documents for the office's dated things — a meeting, a person's duties —
//! built with the `icalendar` crate; times in UTC. Pure.

/// One calendar entry.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub uid: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub cancelled: bool,
}

/// The entries as one calendar named `name`.
pub fn ics(name: &str, entries: &[Entry]) -> String {
    use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
    let at = |t: i64| chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0).unwrap_or_default();
    let mut cal = Calendar::new();
    cal.name(name);
    for e in entries {
        let mut event = Event::new();
        event.uid(&e.uid).summary(&e.summary).starts(at(e.starts_at)).ends(at(e.ends_at));
        if !e.location.is_empty() {
            event.location(&e.location);
        }
        if !e.description.is_empty() {
            event.description(&e.description);
        }
        if e.cancelled {
            event.status(EventStatus::Cancelled);
        }
        cal.push(event.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn entries_carry_their_fields() {
        let e = super::Entry {
            uid: "meeting-7@zhengwu".into(),
            summary: "全市科技创新工作推进会".into(),
            location: "市政府第一会议室".into(),
            starts_at: 1_796_000_000,
            ends_at: 1_796_003_600,
            ..Default::default()
        };
        let text = super::ics("会议", &[e.clone(), super::Entry { uid: "b".into(), cancelled: true, ..e }]);
        assert!(text.starts_with("BEGIN:VCALENDAR"), "{text}");
        assert!(text.contains("UID:meeting-7@zhengwu") && text.contains("SUMMARY:全市科技创新工作推进会"));
        assert!(text.contains("LOCATION:市政府第一会议室") && text.contains("DTSTART:20261130T005320Z"));
        assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(text.matches("STATUS:CANCELLED").count(), 1);
    }
}
