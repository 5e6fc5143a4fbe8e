//! The texts of the mails, in the recipient's language. Plain text: it reads on every phone.

use super::Mail;
use crate::error::Locale;
use crate::values::{EventKind, RejectReason};

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

/// A notification's title and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub title: String,
    pub body: String,
}

/// `due` is the deadline on Vietnam's clocks (`reports::deadlines::local_label`).
pub fn deadline_reminder(locale: Locale, report_id: &crate::values::ReportId, due: &str) -> Text {
    match locale {
        Locale::Vi => Text {
            title: "Phản ánh sắp đến hạn xử lý".into(),
            body: format!("Phản ánh {report_id} sẽ đến hạn xử lý lúc {due}."),
        },
        Locale::En => Text {
            title: "A report is nearly due".into(),
            body: format!("Report {report_id} is due at {due} (Vietnam time)."),
        },
    }
}

/// To the officials of the office: the reporter answered their question, and the clock runs again.
pub fn answered(locale: Locale, report_id: &crate::values::ReportId) -> Text {
    match locale {
        Locale::Vi => Text {
            title: "Người phản ánh đã trả lời".into(),
            body: format!(
                "Người gửi phản ánh {report_id} đã trả lời câu hỏi của đơn vị; thời hạn xử lý tiếp tục được tính."
            ),
        },
        Locale::En => Text {
            title: "The reporter answered".into(),
            body: format!("The reporter of report {report_id} answered your question; its deadline runs again."),
        },
    }
}

/// To the officials of the province's IOC: a reporter rated the handling 1 or 2 stars.
pub fn review_requested(locale: Locale, report_id: &crate::values::ReportId, score: i32) -> Text {
    match locale {
        Locale::Vi => Text {
            title: "Phản ánh bị đánh giá không hài lòng cần xem xét".into(),
            body: format!("Người dân đánh giá kết quả xử lý phản ánh {report_id} {score}/5; phản ánh được đưa vào danh sách xem xét của IOC."),
        },
        Locale::En => Text {
            title: "A poorly rated report needs review".into(),
            body: format!("The reporter rated the handling of report {report_id} {score}/5; it is in the IOC's review queue."),
        },
    }
}

pub fn escalation(locale: Locale, report_id: &crate::values::ReportId, office: &str) -> Text {
    match locale {
        Locale::Vi => Text {
            title: "Phản ánh quá hạn được chuyển lên IOC".into(),
            body: format!(
                "Phản ánh {report_id} đã quá hạn xử lý tại {office} và được chuyển lên Trung tâm IOC theo dõi."
            ),
        },
        Locale::En => Text {
            title: "An overdue report escalated to the IOC".into(),
            body: format!("Report {report_id} missed its deadline at {office} and is escalated to the IOC."),
        },
    }
}

/// To the officials of the office that handles an urgent report, as soon as it reaches them.
pub fn urgent_report(locale: Locale, excerpt: &str, place: &str) -> Text {
    match locale {
        Locale::Vi => Text {
            title: "Phản ánh khẩn cấp cần xử lý ngay".into(),
            body: format!("Phản ánh khẩn cấp tại {place}: «{excerpt}»"),
        },
        Locale::En => Text {
            title: "An urgent report needs action now".into(),
            body: format!("Urgent report at {place}: “{excerpt}”"),
        },
    }
}

/// What happened to a report, for [`report_news`].
#[derive(Debug, Clone, Copy)]
pub struct ReportNews<'a> {
    pub kind: EventKind,
    /// The start of the report's description.
    pub excerpt: &'a str,
    /// The free text of the event.
    pub note: Option<&'a str>,
    pub reject_reason: Option<RejectReason>,
    /// How many working days a resolved report may be reopened (the lifecycle's rule, told here).
    pub reopen_days: u32,
}

/// To the reporter and supporters of a report, about a public event (or a message to the reporter).
pub fn report_news(locale: Locale, news: &ReportNews) -> Text {
    let ReportNews { kind, excerpt, note, reject_reason, reopen_days } = *news;
    let vi = locale == Locale::Vi;
    let title = match kind {
        EventKind::Submitted => ["Phản ánh đã được gửi", "Report submitted"],
        EventKind::Accepted => ["Phản ánh đã được tiếp nhận", "Report accepted"],
        EventKind::Started => ["Phản ánh đang được xử lý", "Work on the report has started"],
        EventKind::Resolved => ["Phản ánh đã được xử lý", "Report resolved"],
        EventKind::Rejected => ["Phản ánh không được tiếp nhận", "Report rejected"],
        EventKind::Transferred => ["Phản ánh được chuyển đơn vị xử lý", "Report passed to another office"],
        EventKind::Comment => ["Phản hồi mới về phản ánh", "New reply on the report"],
        EventKind::Message => ["Cơ quan xử lý nhắn cho bạn", "A message from the office handling your report"],
        EventKind::Closed => ["Phản ánh đã kết thúc", "Report closed"],
        EventKind::Withdrawn => ["Phản ánh đã được người gửi rút lại", "Report withdrawn by its reporter"],
        EventKind::Reopened => ["Phản ánh được mở lại", "Report reopened"],
        EventKind::PhotosAdded => ["Phản ánh có thêm ảnh", "Photos added to the report"],
        EventKind::Rated => ["Kết quả xử lý đã được đánh giá", "The handling was rated"],
        EventKind::Question => {
            ["Cơ quan xử lý cần bạn bổ sung thông tin", "The office needs more information from you"]
        }
        EventKind::Extended => ["Thời hạn xử lý phản ánh được gia hạn", "The deadline of the report was extended"],
        EventKind::Reviewed => ["Trung tâm IOC đã xem xét phản ánh", "The IOC reviewed the report"],
        // Internal events are not told to followers; should one be, it still reads well.
        EventKind::Assigned | EventKind::Escalated | EventKind::Answered | EventKind::ReviewRequested => {
            ["Phản ánh có cập nhật", "Report updated"]
        }
    }[usize::from(!vi)];
    let mut body = if vi { format!("Phản ánh: «{excerpt}»") } else { format!("Report: “{excerpt}”") };
    if let Some(reason) = reject_reason {
        body += &format!("\n{}: {}", if vi { "Lý do" } else { "Reason" }, reject_reason_text(locale, reason));
    }
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        body += &format!("\n{note}");
    }
    if kind == EventKind::Resolved {
        let days = reopen_days;
        body += &if vi {
            format!("\nHãy đánh giá kết quả xử lý; nếu chưa hài lòng, bạn có thể mở lại phản ánh trong {days} ngày làm việc.")
        } else {
            format!("\nPlease rate how it was handled; if you are not satisfied, you can reopen it within {days} working days.")
        };
    }
    Text { title: title.to_string(), body }
}

fn reject_reason_text(locale: Locale, reason: RejectReason) -> &'static str {
    let texts = match reason {
        RejectReason::Duplicate => ["trùng với một phản ánh đã có", "it repeats an earlier report"],
        RejectReason::OutOfScope => {
            ["không thuộc phạm vi giải quyết của chính quyền", "it is not for the government to handle"]
        }
        RejectReason::Spam => ["nội dung không phải là phản ánh", "it is not a genuine report"],
        RejectReason::InsufficientInfo => ["chưa đủ thông tin để xử lý", "there is not enough information to act on"],
    };
    texts[usize::from(locale != Locale::Vi)]
}
