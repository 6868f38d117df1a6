//! Face providers: is the selfie a live face, and is it the ID card's
//! holder? Real providers (the Ministry of Public Security's identity
//! service through a licensed channel, a cloud 人脸核身 API) compare the
//! selfie with the photo on record for the ID number; [`FaceProvider`] is
//! their interface. [`DevFaceProvider`] is the development stand-in.

use std::time::Duration;

use async_trait::async_trait;

/// The person the selfie must be.
pub struct FaceSubject<'a> {
    pub name: &'a str,
    pub id_number: &'a str,
}

/// A provider's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceResult {
    /// A live face was found (not a photo of a photo, not no face).
    pub live: bool,
    /// Similarity to the holder's photo on record, 0 to 100.
    pub score: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("face provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait FaceProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn verify(
        &self,
        selfie: &[u8],
        subject: &FaceSubject<'_>,
    ) -> Result<FaceResult, FaceError>;
}

/// The lowest score that passes.
pub const PASS_SCORE: u32 = 80;

/// The development provider's name.
pub const DEV_PROVIDER: &str = "dev";

/// DEVELOPMENT ONLY: compares nothing. It waits like a real provider and
/// judges the photo's shape alone: no live face in one under 240 by 320
/// pixels; a portrait (taller than wide) scores 92 (the holder), a
/// landscape one 31 (someone else). It fails with
/// `failure_rate_per_mille` like a real service at a bad moment.
pub struct DevFaceProvider {
    latency: Duration,
    failure_rate_per_mille: u32,
}

impl DevFaceProvider {
    pub fn new() -> Self {
        DevFaceProvider {
            latency: Duration::from_millis(600),
            failure_rate_per_mille: 0,
        }
    }

    pub fn with(latency: Duration, failure_rate_per_mille: u32) -> Self {
        DevFaceProvider {
            latency,
            failure_rate_per_mille,
        }
    }
}

impl Default for DevFaceProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl FaceProvider for DevFaceProvider {
    fn name(&self) -> &'static str {
        DEV_PROVIDER
    }

    async fn verify(
        &self,
        selfie: &[u8],
        _subject: &FaceSubject<'_>,
    ) -> Result<FaceResult, FaceError> {
        tokio::time::sleep(self.latency).await;
        if self.failure_rate_per_mille > 0
            && rand::random_range(0..1000) < self.failure_rate_per_mille
        {
            return Err(FaceError::Unavailable(
                "development: simulated outage".into(),
            ));
        }
        let result = match domain::image::dimensions(selfie) {
            Some((w, h)) if w.min(h) >= 240 && w.max(h) >= 320 => FaceResult {
                live: true,
                score: if h > w { 92 } else { 31 },
            },
            _ => FaceResult {
                live: false,
                score: 0,
            },
        };
        tracing::info!(
            provider = DEV_PROVIDER,
            live = result.live,
            score = result.score,
            "face check (development: judged by the photo's shape)"
        );
        Ok(result)
    }
}
