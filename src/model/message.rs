//! STUB
use super::value::{BodyStructure, Envelope};
pub enum SectionText { Header, HeaderFields(Vec<Vec<u8>>), HeaderFieldsNot(Vec<Vec<u8>>), Text, Mime }
#[derive(Debug)]
pub struct Message { raw: Vec<u8> }
impl Message {
    pub fn parse(raw: Vec<u8>) -> Message { Message { raw } }
    pub fn raw(&self) -> &[u8] { &self.raw }
    pub fn size(&self) -> u32 { self.raw.len() as u32 }
    pub fn envelope(&self) -> Envelope { todo!() }
    pub fn body_structure(&self) -> BodyStructure { todo!() }
    pub fn section(&self, _part: &[u32], _text: Option<&SectionText>) -> Option<Vec<u8>> { todo!() }
    pub fn partial(_b: &[u8], _o: u32, _l: u32) -> Vec<u8> { todo!() }
    pub fn header_values(&self, _n: &[u8]) -> Vec<Vec<u8>> { todo!() }
    pub fn header_bytes(&self) -> &[u8] { todo!() }
    pub fn body_bytes(&self) -> &[u8] { todo!() }
    pub fn sent_date(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> { todo!() }
    pub fn has_transfer_encoding(&self) -> bool { todo!() }
}
