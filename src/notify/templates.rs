//! The texts of the mails, in the recipient's language. Plain text: it reads on every phone.

use super::Mail;
use crate::error::Locale;

pub fn verify_email(locale: Locale, to: &str, name: &str, link: &str) -> Mail {
    let (subject, body) = match locale {
        Locale::Vi => (
            "Xác nhận địa chỉ email của bạn".to_string(),
            format!(
                "Chào {name},\n\nVui lòng xác nhận địa chỉ email này cho tài khoản Công dân số bằng cách mở liên kết:\n\n{link}\n\n\
                 Liên kết có hiệu lực trong 24 giờ và chỉ dùng được một lần. Nếu bạn không đăng ký, hãy bỏ qua thư này.\n"
            ),
        ),
        Locale::En => (
            "Confirm your email address".to_string(),
            format!(
                "Hello {name},\n\nPlease confirm this email address for your Công dân số account by opening:\n\n{link}\n\n\
                 The link works once, for 24 hours. If you did not sign up, ignore this message.\n"
            ),
        ),
    };
    Mail { to: to.to_string(), subject, body }
}

pub fn reset_password(locale: Locale, to: &str, name: &str, link: &str) -> Mail {
    let (subject, body) = match locale {
        Locale::Vi => (
            "Đặt lại mật khẩu".to_string(),
            format!(
                "Chào {name},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản Công dân số của bạn. Mở liên kết sau để đặt mật khẩu mới:\n\n{link}\n\n\
                 Liên kết có hiệu lực trong 1 giờ và chỉ dùng được một lần. Nếu không phải bạn yêu cầu, hãy bỏ qua thư này; mật khẩu cũ vẫn dùng được.\n"
            ),
        ),
        Locale::En => (
            "Reset your password".to_string(),
            format!(
                "Hello {name},\n\nSomeone asked to reset the password of your Công dân số account. Open this link to choose a new one:\n\n{link}\n\n\
                 The link works once, for 1 hour. If it was not you, ignore this message; your password stays as it is.\n"
            ),
        ),
    };
    Mail { to: to.to_string(), subject, body }
}
