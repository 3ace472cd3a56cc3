-- A key shown to a holder is outstanding until it is answered (right or
-- wrong) or superseded: a card has at most one key outstanding, and showing
-- another, or a login that ends unanswered, counts the one before as a
-- wrong code (DOMAIN.md). Keys used before this migration were answered.
ALTER TABLE key_card_keys ADD COLUMN answered_at BIGINT;
UPDATE key_card_keys SET answered_at = used_at WHERE used_at IS NOT NULL;
