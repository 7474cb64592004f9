//! What a node makes of what it hears from the fleet, judged by the numbers announcements carry: the rules of
//! resynchronisation, apart from the dropping itself. `heard` is the last number the node heard or caught up
//! to (`None` before it first listened).

/// What to drop from the node's cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Nothing: the node dropped it already, or missed nothing.
    Keep,
    /// What the announcement names.
    Named,
    /// The whole cache: announcements were missed, and which secrets they named is not known.
    Everything,
}

/// On listening again, with the fleet's counter read after `LISTEN`: everything, unless the counter is the last
/// number heard (lower included: a catalog restored from a backup is not the one the node heard).
pub(super) fn on_listening(heard: Option<i64>, counter: i64) -> Verdict {
    if heard == Some(counter) {
        Verdict::Keep
    } else {
        Verdict::Everything
    }
}

/// An announcement numbered `seq`, sent by this node (`own`) or another. Numbers follow one another in commit
/// order; one that skips some means the skipped ones were lost. Numbers at or below `heard` are announcements
/// committed while the node was starting to listen, already counted by the counter it read.
pub(super) fn on_announcement(heard: Option<i64>, seq: i64, own: bool) -> Verdict {
    match heard {
        Some(heard) if seq > heard.saturating_add(1) => Verdict::Everything,
        _ if own => Verdict::Keep,
        _ => Verdict::Named,
    }
}

/// The node's heartbeat came back with the counter as it was when it was sent: every announcement up to that
/// number was due before it.
pub(super) fn on_heartbeat(heard: Option<i64>, counter: i64) -> Verdict {
    if heard.is_some_and(|heard| heard >= counter) {
        Verdict::Keep
    } else {
        Verdict::Everything
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_again_keeps_the_cache_only_when_nothing_was_missed() {
        assert_eq!(on_listening(None, 0), Verdict::Everything, "a node starting trusts nothing it cached before");
        assert_eq!(on_listening(Some(41), 41), Verdict::Keep);
        assert_eq!(on_listening(Some(41), 43), Verdict::Everything);
        assert_eq!(on_listening(Some(41), 7), Verdict::Everything, "another catalog, or one restored");
    }

    #[test]
    fn announcements_are_dropped_unless_own_and_a_gap_drops_everything() {
        assert_eq!(on_announcement(Some(10), 11, false), Verdict::Named);
        assert_eq!(on_announcement(Some(10), 11, true), Verdict::Keep, "dropped already when it was written");
        assert_eq!(on_announcement(Some(10), 13, false), Verdict::Everything, "11 and 12 were lost");
        assert_eq!(on_announcement(Some(10), 13, true), Verdict::Everything, "even after an own announcement");
        // Committed while the node began to listen: counted by the counter it read, dropped once more.
        assert_eq!(on_announcement(Some(10), 9, false), Verdict::Named);
        assert_eq!(on_announcement(None, 3, false), Verdict::Named);
    }

    #[test]
    fn a_heartbeat_shows_announcements_that_never_arrived() {
        assert_eq!(on_heartbeat(Some(20), 20), Verdict::Keep);
        assert_eq!(on_heartbeat(Some(21), 20), Verdict::Keep, "one committed after the heartbeat's snapshot");
        assert_eq!(on_heartbeat(Some(19), 20), Verdict::Everything, "the last one was lost");
        assert_eq!(on_heartbeat(None, 0), Verdict::Everything);
    }
}
