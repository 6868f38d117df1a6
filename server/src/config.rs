//! How the server runs: demo mode or production, its secrets and providers.
//!
//! Demo mode exists only when asked for (`--demo`, which `scripts/run.sh`
//! passes): it loads the demo bank into an empty database, runs on the
//! development providers and allows the development secrets. Production is
//! the default: it starts with whatever the database holds (nothing, until
//! an operator creates the first bank), refuses to start without its
//! secrets, and uses a development provider only where the operator names it
//! (`--dev-providers sms,bureau,payments,esign,face`) — there is no real client
//! yet for any of the five, so today a production start must name all of
//! them, knowingly.

use std::fmt;
use std::net::SocketAddr;

use service::pfi::{self, PfiKeys};
use service::servicing::eod_runs::EodSchedule;
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
    /// The e-signature provider contracts are signed through.
    ESign,
    /// The face check of 实名认证 (liveness and match with the ID's holder).
    Face,
}

impl DevProvider {
    pub const ALL: [DevProvider; 5] = [
        DevProvider::Sms,
        DevProvider::Bureau,
        DevProvider::Payments,
        DevProvider::ESign,
        DevProvider::Face,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DevProvider::Sms => "sms",
            DevProvider::Bureau => "bureau",
            DevProvider::Payments => "payments",
            DevProvider::ESign => "esign",
            DevProvider::Face => "face",
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
    /// Two secrets that must differ are the same: each secret has one use.
    SameSecret(&'static str, &'static str),
    /// `PUHUI_TRUSTED_PROXIES` holds something that is not an address.
    BadProxy(String),
    /// `PUHUI_EOD_AT` is neither `HH:MM` nor `off`.
    BadEodTime(String),
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
            ConfigError::BadEodTime(t) => write!(
                f,
                "PUHUI_EOD_AT: {t:?} is not a time of day (HH:MM, China time, e.g. 23:30) or `off`"
            ),
            ConfigError::SameSecret(a, b) => {
                write!(f, "{a} must differ from {b}: each secret has one use")
            }
            ConfigError::UnknownProvider(p) => write!(
                f,
                "--dev-providers: unknown provider {p:?} (known: sms, bureau, payments, esign, face)"
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
                    DevProvider::ESign => "signs nothing; its evidence numbers start with DEV-",
                    DevProvider::Face => "compares no face; it judges a selfie by its shape",
                }
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What the command line and the environment asked for. Its `Debug` never
/// prints a secret.
#[derive(Clone, Default)]
pub struct RunArgs {
    pub demo: bool,
    /// `--dev-providers` (or `PUHUI_DEV_PROVIDERS`), comma-separated.
    pub dev_providers: Option<String>,
    /// `PUHUI_OTP_SECRET`.
    pub otp_secret: Option<String>,
    /// `PUHUI_AUDIT_KEY`: the secret the audit log's checkpoints are signed
    /// with (an ed25519 key is derived from it).
    pub audit_secret: Option<String>,
    /// `PUHUI_PFI_KEY`: the secret personal information is sealed with.
    pub pfi_key: Option<String>,
    /// `PUHUI_PFI_RETIRED_KEYS`: comma-separated earlier `PUHUI_PFI_KEY`s,
    /// still needed to open what they sealed until `puhui rotate-key` ran.
    pub pfi_retired_keys: Option<String>,
    /// `PUHUI_PFI_INDEX_KEY`: the secret of the blind indexes (never
    /// rotated: changing it means re-indexing every customer).
    pub pfi_index_key: Option<String>,
    /// `PUHUI_TRUSTED_PROXIES`: comma-separated addresses of the reverse
    /// proxies in front of the server.
    pub trusted_proxies: Option<String>,
    /// `PUHUI_EOD_AT`: when the server runs the end-of-day batch, `HH:MM`
    /// China time (23:30 unless set), or `off` (run it with `puhui eod`).
    pub eod_at: Option<String>,
}

impl RunArgs {
    /// The secrets and settings from the environment (`demo` and the
    /// providers come from the command line).
    pub fn from_env(demo: bool, dev_providers: Option<String>) -> RunArgs {
        let var = |name: &str| std::env::var(name).ok();
        RunArgs {
            demo,
            dev_providers,
            otp_secret: var("PUHUI_OTP_SECRET"),
            audit_secret: var("PUHUI_AUDIT_KEY"),
            pfi_key: var("PUHUI_PFI_KEY"),
            pfi_retired_keys: var("PUHUI_PFI_RETIRED_KEYS"),
            pfi_index_key: var("PUHUI_PFI_INDEX_KEY"),
            trusted_proxies: var("PUHUI_TRUSTED_PROXIES"),
            eod_at: var("PUHUI_EOD_AT"),
        }
    }

    /// The personal-information keys asked for: in demo mode the development
    /// ones unless given; in production each secret is required, long, not
    /// the development value and not another secret.
    pub fn pfi_keys(&self) -> Result<PfiKeys, ConfigError> {
        let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        let retired: Vec<String> = self
            .pfi_retired_keys
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        let retired: Vec<&str> = retired.iter().map(String::as_str).collect();
        if self.demo {
            let key = given(&self.pfi_key).unwrap_or_else(|| pfi::DEV_PFI_SECRET.to_string());
            let index =
                given(&self.pfi_index_key).unwrap_or_else(|| pfi::DEV_PFI_INDEX_SECRET.to_string());
            return Ok(PfiKeys::from_secrets(&key, &retired, &index));
        }
        let key = production_secret("PUHUI_PFI_KEY", &self.pfi_key, pfi::DEV_PFI_SECRET)?;
        let index = production_secret(
            "PUHUI_PFI_INDEX_KEY",
            &self.pfi_index_key,
            pfi::DEV_PFI_INDEX_SECRET,
        )?;
        if key == index {
            return Err(ConfigError::SameSecret(
                "PUHUI_PFI_INDEX_KEY",
                "PUHUI_PFI_KEY",
            ));
        }
        for other in [&self.otp_secret, &self.audit_secret] {
            if other.as_deref() == Some(key) {
                return Err(ConfigError::SameSecret(
                    "PUHUI_PFI_KEY",
                    "the other secrets",
                ));
            }
            if other.as_deref() == Some(index) {
                return Err(ConfigError::SameSecret(
                    "PUHUI_PFI_INDEX_KEY",
                    "the other secrets",
                ));
            }
        }
        Ok(PfiKeys::from_secrets(key, &retired, index))
    }
}

impl RunArgs {
    /// The audit key alone, for the operator's commands that write to the
    /// log (`init`, `org`, `staff`, `rotate-key`): its entries are keyed
    /// like the server's, so production needs the same `PUHUI_AUDIT_KEY`.
    pub fn audit_key(&self) -> Result<service::audit::checkpoints::AuditKey, ConfigError> {
        let secret = match self.audit_secret.as_deref().filter(|s| !s.is_empty()) {
            Some(s) if self.demo => s,
            None if self.demo => service::DEV_AUDIT_SECRET,
            _ => production_secret(
                "PUHUI_AUDIT_KEY",
                &self.audit_secret,
                service::DEV_AUDIT_SECRET,
            )?,
        };
        Ok(service::audit::checkpoints::AuditKey::from_secret(secret))
    }
}

impl fmt::Debug for RunArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "***" } else { "unset" };
        f.debug_struct("RunArgs")
            .field("demo", &self.demo)
            .field("dev_providers", &self.dev_providers)
            .field("otp_secret", &set(&self.otp_secret))
            .field("audit_secret", &set(&self.audit_secret))
            .field("pfi_key", &set(&self.pfi_key))
            .field("pfi_retired_keys", &set(&self.pfi_retired_keys))
            .field("pfi_index_key", &set(&self.pfi_index_key))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("eod_at", &self.eod_at)
            .finish()
    }
}

/// A production secret: set, at least [`MIN_SECRET_LEN`] bytes, and not the
/// public development value.
fn production_secret<'a>(
    name: &'static str,
    value: &'a Option<String>,
    dev: &str,
) -> Result<&'a str, ConfigError> {
    let v = value
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(ConfigError::MissingSecret(name))?;
    if v == dev {
        return Err(ConfigError::DevSecret(name));
    }
    if v.len() < MIN_SECRET_LEN {
        return Err(ConfigError::WeakSecret(name));
    }
    Ok(v)
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

/// When the server runs the end-of-day batch unless `PUHUI_EOD_AT` says.
pub const DEFAULT_EOD_AT: &str = "23:30";

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
        let at = args
            .eod_at
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_EOD_AT);
        run.service.eod_schedule = if at.eq_ignore_ascii_case("off") {
            None
        } else {
            Some(EodSchedule::parse(at).ok_or_else(|| ConfigError::BadEodTime(at.to_string()))?)
        };
        Ok(run)
    }

    fn resolve_secrets(args: &RunArgs) -> Result<RunConfig, ConfigError> {
        let secret = args.otp_secret.as_deref().filter(|s| !s.is_empty());
        let audit = args.audit_secret.as_deref().filter(|s| !s.is_empty());
        if args.demo {
            let mut service = ServiceConfig {
                pfi: args.pfi_keys()?,
                ..ServiceConfig::default()
            };
            if let Some(s) = secret {
                service.otp_secret = s.to_string();
            }
            if let Some(a) = audit {
                service.audit_key = service::audit::checkpoints::AuditKey::from_secret(a);
                service.contract_seal = service::contracts::SealKey::from_secret(a);
                service.notice_key = service::servicing::payouts::NoticeKey::from_secret(a);
            }
            return Ok(RunConfig {
                demo: true,
                service,
                dev_providers: DevProvider::ALL.to_vec(),
            });
        }
        let secret = production_secret("PUHUI_OTP_SECRET", &args.otp_secret, DEV_OTP_SECRET)?;
        let audit = production_secret(
            "PUHUI_AUDIT_KEY",
            &args.audit_secret,
            service::DEV_AUDIT_SECRET,
        )?;
        if audit == secret {
            return Err(ConfigError::SameSecret(
                "PUHUI_AUDIT_KEY",
                "PUHUI_OTP_SECRET",
            ));
        }
        let pfi = args.pfi_keys()?;
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
            service: ServiceConfig::production(secret.to_string(), audit, pfi),
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
    const PFI: &str = "0011223344556677889900112233445566-pfi";
    const PFI_INDEX: &str = "0011223344556677889900112233445566-index";

    fn args(demo: bool, secret: Option<&str>, providers: Option<&str>) -> RunArgs {
        RunArgs {
            demo,
            dev_providers: providers.map(str::to_string),
            otp_secret: secret.map(str::to_string),
            audit_secret: Some(AUDIT.to_string()),
            pfi_key: Some(PFI.to_string()),
            pfi_retired_keys: None,
            pfi_index_key: Some(PFI_INDEX.to_string()),
            trusted_proxies: None,
            eod_at: None,
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
        let all = Some("sms,bureau,payments,esign,face");
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
        let all = Some("sms,bureau,payments,esign,face");
        for (audit, err) in [
            (None, ConfigError::MissingSecret("PUHUI_AUDIT_KEY")),
            (Some("short"), ConfigError::WeakSecret("PUHUI_AUDIT_KEY")),
            (
                Some(service::DEV_AUDIT_SECRET),
                ConfigError::DevSecret("PUHUI_AUDIT_KEY"),
            ),
            (
                Some(GOOD),
                ConfigError::SameSecret("PUHUI_AUDIT_KEY", "PUHUI_OTP_SECRET"),
            ),
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
    fn the_batch_runs_at_23_30_unless_told_otherwise() {
        let at = |t: Option<&str>| {
            RunConfig::resolve(&RunArgs {
                eod_at: t.map(str::to_string),
                ..args(true, None, None)
            })
            .map(|c| c.service.eod_schedule.map(EodSchedule::label))
        };
        assert_eq!(at(None), Ok(Some("23:30".to_string())));
        assert_eq!(at(Some("01:15")), Ok(Some("01:15".to_string())));
        assert_eq!(at(Some("off")), Ok(None));
        assert_eq!(
            at(Some("25:00")),
            Err(ConfigError::BadEodTime("25:00".into()))
        );
    }

    #[test]
    fn production_refuses_to_start_without_its_own_pfi_keys() {
        let all = Some("sms,bureau,payments,esign,face");
        let with = |key: Option<&str>, index: Option<&str>| RunArgs {
            pfi_key: key.map(str::to_string),
            pfi_index_key: index.map(str::to_string),
            ..args(false, Some(GOOD), all)
        };
        for (a, err) in [
            (
                with(None, Some(PFI_INDEX)),
                ConfigError::MissingSecret("PUHUI_PFI_KEY"),
            ),
            (
                with(Some(PFI), None),
                ConfigError::MissingSecret("PUHUI_PFI_INDEX_KEY"),
            ),
            (
                with(Some("short"), Some(PFI_INDEX)),
                ConfigError::WeakSecret("PUHUI_PFI_KEY"),
            ),
            (
                with(Some(pfi::DEV_PFI_SECRET), Some(PFI_INDEX)),
                ConfigError::DevSecret("PUHUI_PFI_KEY"),
            ),
            (
                with(Some(PFI), Some(PFI)),
                ConfigError::SameSecret("PUHUI_PFI_INDEX_KEY", "PUHUI_PFI_KEY"),
            ),
            (
                with(Some(GOOD), Some(PFI_INDEX)),
                ConfigError::SameSecret("PUHUI_PFI_KEY", "the other secrets"),
            ),
        ] {
            assert_eq!(RunConfig::resolve(&a).unwrap_err(), err);
        }
        let c = RunConfig::resolve(&RunArgs {
            pfi_retired_keys: Some(format!("{PFI}-old, ")),
            ..with(Some(PFI), Some(PFI_INDEX))
        })
        .unwrap();
        let dev = PfiKeys::development();
        assert_ne!(c.service.pfi.current_id(), dev.current_id());
        let printed = format!("{c:?} {:?}", with(Some(PFI), Some(PFI_INDEX)));
        assert!(
            !printed.contains(PFI) && !printed.contains(GOOD),
            "{printed}"
        );
        // Demo mode runs on the development keys unless given others.
        let demo = RunConfig::resolve(&args(true, None, None)).unwrap();
        assert_eq!(
            demo.service.pfi.current_id(),
            PfiKeys::from_secrets(PFI, &[], PFI_INDEX).current_id()
        );
        let demo = RunConfig::resolve(&RunArgs {
            pfi_key: None,
            pfi_index_key: None,
            ..args(true, None, None)
        })
        .unwrap();
        assert_eq!(demo.service.pfi.current_id(), dev.current_id());
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
        let e =
            RunConfig::resolve(&args(false, Some(GOOD), Some("sms,bureau,payments"))).unwrap_err();
        assert_eq!(e, ConfigError::NoProvider(DevProvider::ESign));
        assert!(e.to_string().contains("DEV-"), "{e}");
        let e = RunConfig::resolve(&args(false, Some(GOOD), Some("payments,sms,bureau,esign")))
            .unwrap_err();
        assert_eq!(e, ConfigError::NoProvider(DevProvider::Face));
        let c = RunConfig::resolve(&args(
            false,
            Some(GOOD),
            Some("payments,sms,bureau,esign,face"),
        ))
        .unwrap();
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
