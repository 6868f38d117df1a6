-- The e-signature provider's answer for each signer who signs through it
-- (the borrower, a guarantor): its name and its evidence number (存证编号).
-- The development provider's numbers start with DEV- and prove nothing.
ALTER TABLE contract_signers ADD COLUMN esign_provider TEXT;
ALTER TABLE contract_signers ADD COLUMN esign_evidence TEXT;
