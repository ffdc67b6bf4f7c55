//! Pictures drawn on the server: bar charts in SVG and QR codes of feedback links.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::ApiError;

/// A QR code of `text` as an SVG element, dark on light, with a quiet zone.
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::new(text.as_bytes()).map_err(ApiError::internal)?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#0b0c0c"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}
