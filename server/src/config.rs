//! How the server runs: demo mode or production, its secrets and providers.
//!
//! Demo mode exists only when asked for (`--demo`, which `scripts/run.sh`
//! passes): it loads the demo bank into an empty database, runs on the
//! development providers and allows the development secrets. Production is
//! the default: it starts with whatever the database holds (nothing, until
//! an operator creates the first bank), refuses to start without its
//! secrets, and uses a development provider only where the operator names it
//! (`--dev-providers sms,bureau,payments`) — there is no real client yet for
//! any of the three, so today a production start must name all of them,
//! knowingly.

use std::fmt;
use std::net::SocketAddr;

use service::ServiceConfig;

/// The development pepper of one-time codes; refused in production.
const DEV_OTP_SECRET: &str = "puhui-development-otp-pepper";
/// The shortest production secret, in bytes.
const MIN_SECRET_LEN: usize = 32;

/// A provider with only a development implementation so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevProvider {
    Sms,
    Bureau,
    Payments,
}

impl DevProvider {
    pub const ALL: [DevProvider; 3] =
        [DevProvider::Sms, DevProvider::Bureau, DevProvider::Payments];

    pub fn as_str(self) -> &'static str {
        match self {
            DevProvider::Sms => "sms",
            DevProvider::Bureau => "bureau",
            DevProvider::Payments => "payments",
        }
    }

    fn parse(s: &str) -> Option<DevProvider> {
        DevProvider::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Why the server refuses to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    MissingSecret(&'static str),
    WeakSecret(&'static str),
    DevSecret(&'static str),
    /// The OTP pepper and the audit key must be different secrets.
    SameSecret,
    /// `PUHUI_TRUSTED_PROXIES` holds something that is not an address.
    BadProxy(String),
    UnknownProvider(String),
    /// Production with no real client for this provider and the development
    /// one not named.
    NoProvider(DevProvider),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingSecret(name) => write!(
                f,
                "{name} is not set: production needs its own secret (at least {MIN_SECRET_LEN} \
                 bytes, e.g. `openssl rand -hex 32`); `--demo` runs the demo bank instead"
            ),
            ConfigError::WeakSecret(name) => {
                write!(f, "{name} is shorter than {MIN_SECRET_LEN} bytes")
            }
            ConfigError::DevSecret(name) => write!(
                f,
                "{name} is the public development value: production needs its own secret"
            ),
            ConfigError::BadProxy(p) => write!(
                f,
                "PUHUI_TRUSTED_PROXIES: {p:?} is not an IP address (list the proxies' addresses, \
                 comma separated)"
            ),
            ConfigError::SameSecret => write!(
                f,
                "PUHUI_AUDIT_KEY must differ from PUHUI_OTP_SECRET: each secret has one use"
            ),
            ConfigError::UnknownProvider(p) => write!(
                f,
                "--dev-providers: unknown provider {p:?} (known: sms, bureau, payments)"
            ),
            ConfigError::NoProvider(p) => write!(
                f,
                "production has no real {} provider configured yet: name the development one \
                 explicitly with --dev-providers {} (it {}), or run with --demo",
                p.as_str(),
                p.as_str(),
                match p {
                    DevProvider::Sms => "sends no text message; codes are only hashed",
                    DevProvider::Bureau => "returns synthetic credit reports labelled DEV",
                    DevProvider::Payments => "moves no money",
                }
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What the command line and the environment asked for.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    pub demo: bool,
    /// `--dev-providers` (or `PUHUI_DEV_PROVIDERS`), comma-separated.
    pub dev_providers: Option<String>,
    /// `PUHUI_OTP_SECRET`.
    pub otp_secret: Option<String>,
    /// `PUHUI_AUDIT_KEY`: the secret the audit log's checkpoints are signed
    /// with (an ed25519 key is derived from it).
    pub audit_secret: Option<String>,
    /// `PUHUI_TRUSTED_PROXIES`: comma-separated addresses of the reverse
    /// proxies in front of the server.
    pub trusted_proxies: Option<String>,
}

/// The resolved run configuration. Its `Debug` never prints a secret.
#[derive(Clone)]
pub struct RunConfig {
    pub demo: bool,
    pub service: ServiceConfig,
    pub dev_providers: Vec<DevProvider>,
}

impl fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunConfig")
            .field("demo", &self.demo)
            .field("service", &self.service)
            .field("dev_providers", &self.dev_providers)
            .finish()
    }
}

impl RunConfig {
    pub fn resolve(args: &RunArgs) -> Result<RunConfig, ConfigError> {
        let mut run = Self::resolve_secrets(args)?;
        for p in args
            .trusted_proxies
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let addr = p
                .parse()
                .map_err(|_| ConfigError::BadProxy(p.to_string()))?;
            run.service.trusted_proxies.push(addr);
        }
        Ok(run)
    }

    fn resolve_secrets(args: &RunArgs) -> Result<RunConfig, ConfigError> {
        let secret = args.otp_secret.as_deref().filter(|s| !s.is_empty());
        let audit = args.audit_secret.as_deref().filter(|s| !s.is_empty());
        if args.demo {
            let mut service = ServiceConfig::default();
            if let Some(s) = secret {
                service.otp_secret = s.to_string();
            }
            if let Some(a) = audit {
                service.audit_key = service::audit::checkpoints::AuditKey::from_secret(a);
            }
            return Ok(RunConfig {
                demo: true,
                service,
                dev_providers: DevProvider::ALL.to_vec(),
            });
        }
        let secret = secret.ok_or(ConfigError::MissingSecret("PUHUI_OTP_SECRET"))?;
        if secret == DEV_OTP_SECRET {
            return Err(ConfigError::DevSecret("PUHUI_OTP_SECRET"));
        }
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::WeakSecret("PUHUI_OTP_SECRET"));
        }
        let audit = audit.ok_or(ConfigError::MissingSecret("PUHUI_AUDIT_KEY"))?;
        if audit == service::DEV_AUDIT_SECRET {
            return Err(ConfigError::DevSecret("PUHUI_AUDIT_KEY"));
        }
        if audit.len() < MIN_SECRET_LEN {
            return Err(ConfigError::WeakSecret("PUHUI_AUDIT_KEY"));
        }
        if audit == secret {
            return Err(ConfigError::SameSecret);
        }
        let mut named = Vec::new();
        for p in args
            .dev_providers
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let p = DevProvider::parse(p).ok_or_else(|| ConfigError::UnknownProvider(p.into()))?;
            if !named.contains(&p) {
                named.push(p);
            }
        }
        // No real client exists yet for any provider: each must be named.
        if let Some(missing) = DevProvider::ALL.into_iter().find(|p| !named.contains(p)) {
            return Err(ConfigError::NoProvider(missing));
        }
        Ok(RunConfig {
            demo: false,
            service: ServiceConfig::production(secret.to_string(), audit),
            dev_providers: named,
        })
    }
}

/// Session cookies are `Secure` (and so `__Host-` prefixed) unless the
/// server listens on loopback only, where a developer's plain-HTTP browser
/// must still keep them, or the operator forces them on.
pub fn secure_cookies(addr: SocketAddr, forced: bool) -> bool {
    forced || !addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "0123456789abcdef0123456789abcdef";
    const AUDIT: &str = "fedcba9876543210fedcba9876543210-audit";

    fn args(demo: bool, secret: Option<&str>, providers: Option<&str>) -> RunArgs {
        RunArgs {
            demo,
            dev_providers: providers.map(str::to_string),
            otp_secret: secret.map(str::to_string),
            audit_secret: Some(AUDIT.to_string()),
            trusted_proxies: None,
        }
    }

    #[test]
    fn demo_mode_runs_on_the_development_secrets_and_providers() {
        let c = RunConfig::resolve(&args(true, None, None)).unwrap();
        assert!(c.demo && c.service.demo);
        assert_eq!(c.dev_providers, DevProvider::ALL);
        assert_eq!(c.service.otp_secret, DEV_OTP_SECRET);
    }

    #[test]
    fn production_refuses_to_start_without_its_secret() {
        let all = Some("sms,bureau,payments");
        for (secret, err) in [
            (None, ConfigError::MissingSecret("PUHUI_OTP_SECRET")),
            (Some(""), ConfigError::MissingSecret("PUHUI_OTP_SECRET")),
            (Some("short"), ConfigError::WeakSecret("PUHUI_OTP_SECRET")),
            (
                Some(DEV_OTP_SECRET),
                ConfigError::DevSecret("PUHUI_OTP_SECRET"),
            ),
        ] {
            assert_eq!(
                RunConfig::resolve(&args(false, secret, all)).unwrap_err(),
                err
            );
        }
    }

    #[test]
    fn production_refuses_to_start_without_its_own_audit_key() {
        let all = Some("sms,bureau,payments");
        for (audit, err) in [
            (None, ConfigError::MissingSecret("PUHUI_AUDIT_KEY")),
            (Some("short"), ConfigError::WeakSecret("PUHUI_AUDIT_KEY")),
            (
                Some(service::DEV_AUDIT_SECRET),
                ConfigError::DevSecret("PUHUI_AUDIT_KEY"),
            ),
            (Some(GOOD), ConfigError::SameSecret),
        ] {
            let a = RunArgs {
                audit_secret: audit.map(str::to_string),
                ..args(false, Some(GOOD), all)
            };
            assert_eq!(RunConfig::resolve(&a).unwrap_err(), err);
        }
        let c = RunConfig::resolve(&args(false, Some(GOOD), all)).unwrap();
        assert_eq!(
            c.service.audit_key.public_hex(),
            service::audit::checkpoints::AuditKey::from_secret(AUDIT).public_hex()
        );
        assert!(!format!("{c:?}").contains(AUDIT));
    }

    #[test]
    fn production_uses_a_development_provider_only_when_named() {
        let e = RunConfig::resolve(&args(false, Some(GOOD), None)).unwrap_err();
        assert_eq!(e, ConfigError::NoProvider(DevProvider::Sms));
        assert!(e.to_string().contains("--dev-providers sms"), "{e}");
        let e = RunConfig::resolve(&args(false, Some(GOOD), Some("sms, bureau"))).unwrap_err();
        assert_eq!(e, ConfigError::NoProvider(DevProvider::Payments));
        let e = RunConfig::resolve(&args(false, Some(GOOD), Some("sms,fax"))).unwrap_err();
        assert_eq!(e, ConfigError::UnknownProvider("fax".into()));
        let c = RunConfig::resolve(&args(false, Some(GOOD), Some("payments,sms,bureau"))).unwrap();
        assert!(!c.demo && !c.service.demo);
        assert_eq!(c.service.otp_secret, GOOD);
        // Secrets never print.
        assert!(!format!("{c:?}").contains(GOOD));
    }

    #[test]
    fn trusted_proxies_are_addresses() {
        let a = RunArgs {
            trusted_proxies: Some("10.0.0.5, ::1".into()),
            ..args(true, None, None)
        };
        let c = RunConfig::resolve(&a).unwrap();
        assert_eq!(c.service.trusted_proxies.len(), 2);
        let bad = RunArgs {
            trusted_proxies: Some("10.0.0.5,lb.internal".into()),
            ..args(true, None, None)
        };
        assert_eq!(
            RunConfig::resolve(&bad).unwrap_err(),
            ConfigError::BadProxy("lb.internal".into())
        );
    }

    #[test]
    fn cookies_are_secure_off_loopback() {
        assert!(!secure_cookies("127.0.0.1:3000".parse().unwrap(), false));
        assert!(!secure_cookies("[::1]:3000".parse().unwrap(), false));
        assert!(secure_cookies("127.0.0.1:3000".parse().unwrap(), true));
        assert!(secure_cookies("0.0.0.0:3000".parse().unwrap(), false));
        assert!(secure_cookies("10.1.2.3:443".parse().unwrap(), false));
    }
}
