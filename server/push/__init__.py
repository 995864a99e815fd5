"""Web Push: VAPID keys and delivery of encrypted messages to push services.

``vapid`` creates and loads the server's VAPID key pair. ``delivery`` encrypts one
payload for one subscription, sends it, and retries the failures a push service
reports as temporary. Neither module imports Flask or touches the database, so
callers pass in keys, subscriptions and the transport.

Exceptions::

    PushError
    ├── vapid.VapidKeyError           the key file is missing, unreadable or exists
    └── delivery.DeliveryError
        ├── delivery.InvalidSubscriptionError   endpoint or keys missing
        └── delivery.PayloadTooLargeError       JSON over MAX_PAYLOAD_BYTES
"""


class PushError(Exception):
    """Base class of every error raised by the push package."""
