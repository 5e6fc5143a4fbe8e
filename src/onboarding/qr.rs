//! QR codes of volunteers' deep links, as SVG and PNG, and the printable A4 poster.
//!
//! Error correction is level H (30 % of the code may be lost): posters get creased, rained on and
//! half-covered by the next notice.

use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

use crate::error::AppError;

/// Modules of white around the code, as the standard asks, so that cameras find it.
const QUIET_ZONE: usize = 4;
pub const PNG_SIZES: (u32, u32) = (128, 2048);

/// The modules of a QR code: `width` × `width`, row by row, `true` for dark.
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    pub fn of(text: &str) -> Result<Qr, AppError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::H)
            .map_err(|err| AppError::Internal(format!("QR code of {text:?}: {err}")))?;
        let dark = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
        Ok(Qr { width: code.width(), dark })
    }

    /// Width with the quiet zone, in modules.
    fn span(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// An SVG path drawing the dark modules (one rectangle per horizontal run), quiet zone included.
    fn path(&self) -> String {
        let mut path = String::new();
        for y in 0..self.width {
            let row = &self.dark[y * self.width..(y + 1) * self.width];
            let mut x = 0;
            while x < self.width {
                if row[x] {
                    let run = row[x..].iter().take_while(|&&d| d).count();
                    path += &format!("M{} {}h{run}v1h-{run}z", x + QUIET_ZONE, y + QUIET_ZONE);
                    x += run;
                } else {
                    x += 1;
                }
            }
        }
        path
    }

    /// A standalone SVG, scalable to any print size.
    pub fn svg(&self) -> String {
        let span = self.span();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {span} {span}\" width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{span}\" height=\"{span}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>\n",
            self.path(),
            px = span * 8,
        )
    }

    /// A PNG of `size` × `size` pixels: the code in whole pixels per module, centred on white.
    pub fn png(&self, size: u32) -> Result<Vec<u8>, AppError> {
        let span = self.span() as u32;
        let module = (size / span).max(1);
        let size = size.max(span * module);
        let offset = (size - span * module) / 2 + QUIET_ZONE as u32 * module;
        let width = self.width as u32;
        let image = GrayImage::from_fn(size, size, |px, py| {
            let (mx, my) = (px.wrapping_sub(offset) / module, py.wrapping_sub(offset) / module);
            let dark =
                px >= offset && py >= offset && mx < width && my < width && self.dark[(my * width + mx) as usize];
            Luma([if dark { 0 } else { 255 }])
        });
        let mut bytes = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .map_err(|err| AppError::Internal(format!("PNG: {err}")))?;
        Ok(bytes)
    }
}

/// What a poster says.
pub struct Poster<'a> {
    pub campaign: &'a str,
    pub unit: &'a str,
    pub agent: &'a str,
    pub link: &'a str,
    pub code: &'a str,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A printable A4 sheet (210 × 297 mm): the campaign, the unit, the QR code and how to use it, in
/// Vietnamese.
pub fn poster(qr: &Qr, poster: &Poster<'_>) -> String {
    // The code is 150 mm wide, centred; the text above and below it.
    let (size, left, top) = (150.0, 30.0, 70.0);
    let scale = size / qr.span() as f64;
    let line = |y: f64, font: f64, weight: &str, text: &str| {
        format!(
            "<text x=\"105\" y=\"{y}\" font-size=\"{font}\" font-weight=\"{weight}\" text-anchor=\"middle\">{}</text>",
            escape(text)
        )
    };
    let texts = [
        line(22.0, 9.0, "bold", "CÔNG DÂN SỐ"),
        line(34.0, 6.5, "bold", poster.campaign),
        line(44.0, 5.5, "normal", poster.unit),
        line(58.0, 6.0, "bold", "Quét mã để cài ứng dụng và đăng ký tài khoản"),
        line(233.0, 5.0, "normal", "1. Mở camera hoặc Zalo, hướng vào mã QR."),
        line(241.0, 5.0, "normal", "2. Cài ứng dụng Công dân số, đăng ký bằng số điện thoại."),
        line(249.0, 5.0, "normal", "3. Phản ánh hiện trường, theo dõi kết quả xử lý."),
        line(263.0, 4.5, "normal", &format!("Tình nguyện viên: {} · Mã: {}", poster.agent, poster.code)),
        line(271.0, 3.5, "normal", poster.link),
        line(285.0, 4.0, "normal", "Cần hỗ trợ? Hỏi Tổ công nghệ số cộng đồng tại khu phố, thôn, bản."),
    ]
    .concat();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" viewBox=\"0 0 210 297\" font-family=\"Arial, Helvetica, sans-serif\">\
         <rect width=\"210\" height=\"297\" fill=\"#fff\"/>{texts}\
         <g transform=\"translate({left} {top}) scale({scale})\" shape-rendering=\"crispEdges\"><path fill=\"#000\" d=\"{}\"/></g></svg>\n",
        qr.path()
    )
}
