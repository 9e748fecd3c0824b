//! Reading an HTTP response body with a size ceiling, so no peer can make the portal buffer
//! more than it expects.

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the reply is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the reply could not be read: {0}")]
    Read(#[from] reqwest::Error),
}

/// The whole body, refused as soon as it passes `max` bytes (declared or actual).
pub async fn read_limited(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
