"""What leads announces: blinker signals its services send inside the caller's transaction.
leads.signals connects the receivers (webhook deliveries); other packages may subscribe too."""

from blinker import Namespace

leads_signals = Namespace()
# sender: the app; kwargs: lead. Sent when a member crosses the MQL threshold.
lead_qualified = leads_signals.signal("lead-qualified")
# sender: the app; kwargs: lead, previous (the stage before).
lead_status_changed = leads_signals.signal("lead-status-changed")
