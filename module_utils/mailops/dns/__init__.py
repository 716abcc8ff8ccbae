"""Provider-neutral DNS engine for mail-domain records (SPF, DKIM, DMARC, verify, MX, tracking)."""
