-- The chain's head hash follows every appended entry inside the same
-- statement, so that appending is two statements instead of three.
CREATE TRIGGER audit_log_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1;
END;
