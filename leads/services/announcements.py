"""What leads announces: blinker signals its services send inside the caller's transaction.
leads.signals connects the receivers (webhook deliveries); other packages may subscribe too."""

from blinker import Namespace

leads_signals = Namespace()
# sender: the app; kwargs: lead. Sent when a member crosses the MQL threshold.
lead_qualified = leads_signals.signal("lead-qualified")
# sender: the app; kwargs: lead, previous (the stage before).
lead_status_changed = leads_signals.signal("lead-status-changed")
# sender: the app; kwargs: lead, previous (lost or disqualified). A closed lead qualified again.
lead_requalified = leads_signals.signal("lead-requalified")
# sender: the app; kwargs: lead. A new MQL was given an owner by the assignment rules.
lead_assigned = leads_signals.signal("lead-assigned")
# sender: the app; kwargs: lead. Nobody claimed the lead within claim_within_hours (sent once per lead).
lead_sla_breached = leads_signals.signal("lead-sla-breached")
