//! Ids of the main entities as types of their own, so an application's id
//! cannot be passed where a loan's is expected. On the wire and in SQL each
//! is its UUIDv7 text, unchanged (`#[serde(transparent)]`).

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )+};
}

ids! {
    /// A loan application (进件).
    ApplicationId;
    /// A customer.
    CustomerId;
    /// A loan.
    LoanId;
    /// A credit line (授信额度).
    LineId;
    /// A member of staff.
    StaffId;
    /// A product (and, in `product_versions`, the product a version is of).
    ProductId;
    /// A published or draft version of a product.
    ProductVersionId;
    /// A task (待办) of an application's flow.
    TaskId;
}
