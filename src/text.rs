//! Vietnamese text folded for search: "Phường Hoàn Kiếm" and "phuong hoan kiem" meet as the same words.

use unicode_normalization::UnicodeNormalization;

/// The characters of `text` without Vietnamese diacritics, case kept: decomposed, the marks dropped, and
/// đ (a letter of its own, not a d with a mark) mapped to d by hand.
pub fn unmarked(text: &str) -> impl Iterator<Item = char> + '_ {
    text.nfd().filter(|c| !is_combining_mark(*c)).map(|c| match c {
        'đ' => 'd',
        'Đ' => 'D',
        c => c,
    })
}

/// Lower-cases, drops diacritics (đ → d), and keeps letters and digits as single-space-separated words.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in unmarked(text) {
        if c.is_alphanumeric() {
            if pending_space && !folded.is_empty() {
                folded.push(' ');
            }
            pending_space = false;
            folded.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    folded
}

/// The combining diacritics Vietnamese uses (after NFD) all sit in this block.
fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_vietnamese_to_plain_words() {
        assert_eq!(fold("Phường Hoàn Kiếm"), "phuong hoan kiem");
        assert_eq!(fold("Đường Trần Hưng Đạo"), "duong tran hung dao");
        assert_eq!(fold("  Xã  Ea Kly, (Đắk Lắk) "), "xa ea kly dak lak");
        assert_eq!(fold("ĐẶC KHU Phú Quốc"), "dac khu phu quoc");
        assert_eq!(fold("Hòa, Hoà"), "hoa hoa");
        assert_eq!(fold("%_"), "");
    }
}
