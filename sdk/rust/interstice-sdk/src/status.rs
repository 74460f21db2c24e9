//! The status codes host calls return (docs/abi.md, "Host calls").

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    Ok = 0,
    NotFound = 1,
    DuplicateKey = 2,
    InvalidRow = 3,
    NoSuchTable = 4,
    NoSuchIndex = 5,
    NoSuchIterator = 6,
    BadPointer = 7,
    NotInTransaction = 8,
    NoSuchModule = 9,
    NoSuchReducer = 10,
    BadArguments = 11,
    NoSuchNode = 12,
    NotPermitted = 13,
    Unavailable = 14,
    PathRefused = 15,
    IoError = 16,
    NoFrame = 17,
    InvalidHandle = 18,
    ShaderError = 19,
    GpuError = 20,
    SurfaceOutdated = 21,
    QuotaExceeded = 22,
    ReadOnly = 23,
    QueryFailed = 24,
    /// A code this SDK does not know (a newer node).
    Unknown = -1,
}

impl Status {
    pub fn from_code(code: i64) -> Status {
        const ALL: [Status; 25] = [
            Status::Ok,
            Status::NotFound,
            Status::DuplicateKey,
            Status::InvalidRow,
            Status::NoSuchTable,
            Status::NoSuchIndex,
            Status::NoSuchIterator,
            Status::BadPointer,
            Status::NotInTransaction,
            Status::NoSuchModule,
            Status::NoSuchReducer,
            Status::BadArguments,
            Status::NoSuchNode,
            Status::NotPermitted,
            Status::Unavailable,
            Status::PathRefused,
            Status::IoError,
            Status::NoFrame,
            Status::InvalidHandle,
            Status::ShaderError,
            Status::GpuError,
            Status::SurfaceOutdated,
            Status::QuotaExceeded,
            Status::ReadOnly,
            Status::QueryFailed,
        ];
        usize::try_from(code)
            .ok()
            .and_then(|i| ALL.get(i).copied())
            .unwrap_or(Status::Unknown)
    }
    pub fn is_ok(self) -> bool {
        self == Status::Ok
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self)
    }
}
