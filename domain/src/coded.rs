//! Enums that are stored and sent as a stable snake_case code.

/// Declares an enum whose variants are stored in SQL and sent to the browser
/// as stable snake_case codes, with `ALL`, `as_str` and `parse`:
///
/// ```
/// domain::coded_enum! {
///     /// Where an SMS stands.
///     pub enum Example { Sent => "sent", Failed => "failed" }
/// }
/// assert_eq!(Example::parse("sent"), Some(Example::Sent));
/// assert_eq!(Example::Failed.as_str(), "failed");
/// ```
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stable code, as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The variant of a stored code.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
