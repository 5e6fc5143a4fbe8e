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

pub fn deadline_reminder(locale: Locale, to: &str, report_id: &str, hours_left: i64, link: &str) -> Mail {
    let (subject, body) = match locale {
        Locale::Vi => (
            "Phản ánh sắp đến hạn xử lý".to_string(),
            format!("Phản ánh {report_id} sẽ đến hạn xử lý trong khoảng {hours_left} giờ nữa.\n\n{link}\n"),
        ),
        Locale::En => (
            "A report is nearly due".to_string(),
            format!("Report {report_id} is due in about {hours_left} hours.\n\n{link}\n"),
        ),
    };
    Mail { to: to.to_string(), subject, body }
}

pub fn escalation(locale: Locale, to: &str, report_id: &str, office: &str, link: &str) -> Mail {
    let (subject, body) = match locale {
        Locale::Vi => (
            "Phản ánh quá hạn được chuyển lên IOC".to_string(),
            format!("Phản ánh {report_id} đã quá hạn xử lý tại {office} và được chuyển lên Trung tâm IOC theo dõi.\n\n{link}\n"),
        ),
        Locale::En => (
            "An overdue report escalated to the IOC".to_string(),
            format!("Report {report_id} missed its deadline at {office} and is escalated to the IOC.\n\n{link}\n"),
        ),
    };
    Mail { to: to.to_string(), subject, body }
}
