/// A GitHub token: `ghp_` then 36 base62 characters.
pub fn looks_like_github_token(s: &str) -> bool {
    s.starts_with("ghp_") && s.len() == 40 && s[4..].chars().all(|c| c.is_ascii_alphanumeric())
}
const AWS_KEY_PATTERN: &str = r"AKIA[0-9A-Z]{16}";
