//! OCR providers: the text on a photo of an ID card. [`TesseractOcr`] is a
//! real provider that runs on the server itself (Tesseract with Debian's
//! Simplified Chinese data, `tesseract-ocr-chi-sim`); [`DevOcrProvider`] is
//! the development stand-in for a machine without it. Finding the fields in
//! the text is the domain's (`domain::id_card`), the same for both.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::id_card::CardSide;
use tokio::sync::Semaphore;

/// Why a provider gave no text.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("OCR provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait OcrProvider: Send + Sync {
    /// Its name (tesseract, dev), shown to staff and in the audit log.
    fn name(&self) -> &'static str;
    /// The text on the image (JPEG, PNG or WebP bytes), line by line.
    async fn read(&self, image: &[u8], side: CardSide) -> Result<String, OcrError>;
}

/// The development provider's name.
pub const DEV_PROVIDER: &str = "dev";

/// Tesseract as a child process, at most `parallel` at once (it takes a
/// core each), each within `timeout`.
pub struct TesseractOcr {
    binary: PathBuf,
    timeout: Duration,
    slots: Arc<Semaphore>,
}

impl TesseractOcr {
    pub fn new(binary: impl Into<PathBuf>, parallel: usize, timeout: Duration) -> Self {
        TesseractOcr {
            binary: binary.into(),
            timeout,
            slots: Arc::new(Semaphore::new(parallel.max(1))),
        }
    }

    /// Whether the binary runs and has the Simplified Chinese data: what a
    /// server checks before it starts with this provider.
    pub async fn check(&self) -> Result<(), OcrError> {
        let out = tokio::process::Command::new(&self.binary)
            .arg("--list-langs")
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| OcrError::Unavailable(format!("{}: {e}", self.binary.display())))?;
        let langs = String::from_utf8_lossy(&out.stdout);
        if langs.lines().any(|l| l.trim() == "chi_sim") {
            Ok(())
        } else {
            Err(OcrError::Unavailable(
                "tesseract has no chi_sim data (install tesseract-ocr-chi-sim)".into(),
            ))
        }
    }
}

#[async_trait]
impl OcrProvider for TesseractOcr {
    fn name(&self) -> &'static str {
        "tesseract"
    }

    async fn read(&self, image: &[u8], _side: CardSide) -> Result<String, OcrError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| OcrError::Unavailable(e.to_string()))?;
        let path = std::env::temp_dir().join(format!("puhui-ocr-{}", crate::db::new_id()));
        tokio::fs::write(&path, image)
            .await
            .map_err(|e| OcrError::Unavailable(e.to_string()))?;
        // A uniform block of text (--psm 6) reads a card's lines in order.
        let run = tokio::process::Command::new(&self.binary)
            .arg(&path)
            .arg("stdout")
            .args(["-l", "chi_sim", "--psm", "6"])
            .env("OMP_THREAD_LIMIT", "1")
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(self.timeout, run).await;
        let _ = tokio::fs::remove_file(&path).await;
        let out = out
            .map_err(|_| OcrError::Unavailable("tesseract timed out".into()))?
            .map_err(|e| OcrError::Unavailable(e.to_string()))?;
        if !out.status.success() {
            // Tesseract refuses an image it cannot decode: no text on it.
            tracing::info!(status = %out.status, "tesseract read nothing");
            return Ok(String::new());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// DEVELOPMENT ONLY: reads nothing. It waits like a real provider, finds
/// no text on a photo under 20 KB (a blurred or tiny shot), and otherwise
/// returns the text of the development sample card's side asked for
/// (张秀兰, a person who does not exist), for the customer to correct. Its
/// name is "dev", and the page says the reading is a sample.
pub struct DevOcrProvider {
    latency: Duration,
}

impl DevOcrProvider {
    pub fn new() -> Self {
        DevOcrProvider {
            latency: Duration::from_millis(400),
        }
    }

    pub fn with_latency(latency: Duration) -> Self {
        DevOcrProvider { latency }
    }
}

impl Default for DevOcrProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// The development sample card: its front.
pub const DEV_SAMPLE_FRONT: &str = "姓名 张秀兰\n性别 女 民族 汉\n出生 1985年3月12日\n\
住址 浙江省丽水市莲都区碧湖镇\n大港头村18号\n公民身份号码 331102198503120226\n";
/// The development sample card: its back.
pub const DEV_SAMPLE_BACK: &str =
    "中华人民共和国\n居民身份证\n签发机关 丽水市公安局莲都分局\n有效期限 2016.05.01-2036.05.01\n";

#[async_trait]
impl OcrProvider for DevOcrProvider {
    fn name(&self) -> &'static str {
        DEV_PROVIDER
    }

    async fn read(&self, image: &[u8], side: CardSide) -> Result<String, OcrError> {
        tokio::time::sleep(self.latency).await;
        tracing::info!(
            provider = DEV_PROVIDER,
            "ID card read (development: a sample)"
        );
        if image.len() < 20 * 1024 {
            return Ok(String::new());
        }
        Ok(match side {
            CardSide::Front => DEV_SAMPLE_FRONT,
            CardSide::Back => DEV_SAMPLE_BACK,
        }
        .to_string())
    }
}
