//! Rules of the web layer that the server and the browser share.

/// Is `next` a path on this site, safe to send a user back to after signing
/// in or switching language? Browsers read `/\\x` and `/\\/x` as `//x`,
/// another host, and drop tabs and newlines from a URL, so a backslash or
/// any control character refuses it, as does a leading `//`.
pub fn is_local_path(next: &str) -> bool {
    let mut chars = next.chars();
    chars.next() == Some('/')
        && chars.next() != Some('/')
        && next.len() <= 2048
        && !next.chars().any(|c| c == '\\' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        for ok in ["/", "/me", "/staff/applications/1?tab=file", "/apply/x#top"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "me",
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "/x\\y",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert!(!is_local_path(&format!("/{}", "a".repeat(3000))));
    }
}
