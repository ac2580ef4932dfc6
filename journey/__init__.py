"""The customer journey: stages per member, the journey funnel, customer health, retention cohorts."""
