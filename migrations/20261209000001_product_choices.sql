-- The product factory finished (issue 16 item 5): a product may offer
-- several repayment methods and guarantee types, and the applicant chooses
-- among them. The product row keeps every method and guarantee type its
-- live version allows (codes separated by commas; NULL on a row from before
-- this, which offers only its single `repayment_method` / `guarantee_type`),
-- and an application keeps the applicant's choice (NULL on an application
-- from before this: the product's single method and guarantee type).
ALTER TABLE products ADD COLUMN repayment_methods TEXT;
ALTER TABLE products ADD COLUMN guarantee_types TEXT;
ALTER TABLE applications ADD COLUMN repayment_method TEXT;
ALTER TABLE applications ADD COLUMN guarantee_type TEXT;
-- A withdrawn version (停用) records when and why.
ALTER TABLE product_versions ADD COLUMN retire_reason TEXT;
-- One open draft per product: a second manager's draft waits until the
-- first is published (or changed by its author).
CREATE UNIQUE INDEX product_versions_one_draft ON product_versions(product_id) WHERE status = 'draft';
