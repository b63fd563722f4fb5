"""Pictures Piglist serves itself: every gift picture, fetched or uploaded, is re-encoded
(``encoding``), kept once per content (``store``) and served at ``/images/<key>`` (``routes``),
so no member's browser ever contacts a shop or an address another member chose."""
