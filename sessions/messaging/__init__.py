"""Client messages: which rows a visit has, what they say, and how they are sent.

- `outbox`: the hooks the booking services call (same transaction), and retry.
- `render`: a row as an email (templates/sessions/email/), and why one is not sent.
- `ics`: the calendar attachment.
- `links`: the signed confirm and cancel links.
- `delivery`: the every-minute sweep, claiming, sending, back-off, reclaiming.
- `selectors`: the outbox page's rows.

Kept free of imports here: the booking services import `outbox`, and `links`
imports the booking services.
"""
