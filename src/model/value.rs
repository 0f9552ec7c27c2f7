//! STUB
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope;
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyStructure;
impl Envelope { pub fn write(&self, _o: &mut Vec<u8>) {} }
impl BodyStructure { pub fn write(&self, _o: &mut Vec<u8>, _e: bool) {} }
pub fn write_nstring(_o: &mut Vec<u8>, _s: Option<&[u8]>) {}
pub fn write_string(_o: &mut Vec<u8>, _s: &[u8]) {}
