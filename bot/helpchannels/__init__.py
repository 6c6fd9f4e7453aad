"""Help channels (issue 14): the parts that do not depend on a chat surface — the
question detector, per-channel settings and source scope, tickets, the knowledge-gap
report. The conversation service wires them into Slack and Teams."""
