-- Photos of a piece of collateral (押品照片: the house, its title papers,
-- the site), taken by the officer on a visit. The image is sealed at rest
-- like other personal information (a certificate of title shows the
-- owner's name and ID number): `data_sealed` is the sealed base64 of the
-- bytes; its type is read from the bytes, never from the upload; its
-- SHA-256 is kept in the audit log. Never removed: a photo is evidence.
CREATE TABLE collateral_photos (
    id             TEXT PRIMARY KEY,
    collateral_id  TEXT NOT NULL REFERENCES collaterals(id),
    bank_id        TEXT NOT NULL REFERENCES organisations(id),
    content_type   TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size_bytes     BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256         TEXT NOT NULL,
    caption        TEXT NOT NULL,
    data_sealed    TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL REFERENCES staff_users(id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX collateral_photos_item ON collateral_photos(collateral_id, created_at);
