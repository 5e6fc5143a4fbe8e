//! What a text message says on the air: with Vietnamese diacritics, or without them for brandname
//! templates registered without (and for the 160 characters of one plain segment rather than 70).

/// Characters of one GSM 7-bit segment.
pub const PLAIN_SEGMENT: usize = 160;
/// UTF-16 code units of one UCS-2 segment.
pub const UNICODE_SEGMENT: usize = 70;

/// "Mã kích hoạt của bạn: 482913" → "Ma kich hoat cua ban: 482913". Anything still outside ASCII (an
/// emoji, a curly quote) becomes `?`, as a plain-text gateway would show it.
pub fn without_diacritics(text: &str) -> String {
    crate::text::unmarked(text).map(|c| if c.is_ascii() { c } else { '?' }).collect()
}

/// A text as it goes on the air: its characters, and whether they need UCS-2 (Unicode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnAir {
    pub text: String,
    pub unicode: bool,
}

/// The text as it is sent: as written when `unicode` is allowed, else without diacritics; coded as
/// Unicode only when it has a character plain text lacks (a Unicode segment holds 70, not 160). Our
/// texts are an activation code and a sentence: a longer one is refused rather than split into a
/// concatenated message, which not every gateway bills or delivers alike.
pub fn on_air(text: &str, unicode: bool) -> Result<OnAir, String> {
    let text = if unicode { text.to_string() } else { without_diacritics(text) };
    let unicode = !text.is_ascii();
    let (length, most) =
        if unicode { (text.encode_utf16().count(), UNICODE_SEGMENT) } else { (text.len(), PLAIN_SEGMENT) };
    if length > most {
        return Err(format!("the text is longer than one segment ({length} characters, at most {most})"));
    }
    Ok(OnAir { text, unicode })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_loses_its_marks_and_keeps_its_letters() {
        assert_eq!(without_diacritics("Mã kích hoạt của bạn: 482913"), "Ma kich hoat cua ban: 482913");
        assert_eq!(without_diacritics("Đường Đồng Khởi, Quận 1"), "Duong Dong Khoi, Quan 1");
        assert_eq!(without_diacritics("đã được gửi"), "da duoc gui");
        assert_eq!(without_diacritics("ỨNG DỤNG CÔNG DÂN SỐ"), "UNG DUNG CONG DAN SO");
        // Precomposed or already decomposed, the result is the same.
        assert_eq!(without_diacritics("Ho\u{0302}\u{0323}i"), "Hoi");
        assert_eq!(without_diacritics("Xin chào 👋"), "Xin chao ?");
        assert_eq!(without_diacritics("plain ASCII stays: 100%"), "plain ASCII stays: 100%");
    }

    #[test]
    fn a_segment_holds_160_plain_or_70_unicode_characters() {
        assert!(on_air(&"a".repeat(160), false).is_ok());
        assert!(on_air(&"a".repeat(161), false).is_err());
        assert_eq!(
            on_air(&"ạ".repeat(161), false).unwrap_err(),
            "the text is longer than one segment (161 characters, at most 160)"
        );
        assert_eq!(on_air("Mã: 482913", true).unwrap(), OnAir { text: "Mã: 482913".into(), unicode: true });
        assert!(on_air(&"ạ".repeat(70), true).is_ok());
        assert!(on_air(&"ạ".repeat(71), true).is_err());
        // Plain text stays plain when Unicode is allowed: 160 characters a segment, not 70.
        assert_eq!(on_air(&"a".repeat(100), true).unwrap(), OnAir { text: "a".repeat(100), unicode: false });
    }
}
