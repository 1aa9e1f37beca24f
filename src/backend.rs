//! Which Burn backend (and device) a trial trains on. `flex` (pure-Rust CPU) is always compiled
//! and always the default; LibTorch (`tch`, `tch-cuda`) needs the `tch` Cargo feature and is only
//! ever used when a grid asks for it by name.

use crate::names::Named;
use burn::prelude::Device;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Flex,
    Tch,
    TchCuda,
    /// The grid's `[command]`: any program, run and measured as a trial (no Burn model).
    Command,
}

impl Named for Backend {
    const ALL: &'static [Backend] =
        &[Backend::Flex, Backend::Tch, Backend::TchCuda, Backend::Command];

    fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Tch => "tch",
            Backend::TchCuda => "tch-cuda",
            Backend::Command => "command",
        }
    }
}

impl Backend {
    /// Whether this binary can run the backend at all.
    pub fn check_available(self) -> Result<(), String> {
        match self {
            Backend::Flex | Backend::Command => Ok(()),
            _ if cfg!(feature = "tch") => Ok(()),
            _ => Err(format!(
                "backend `{}` needs a build with `--features tch` (see docs/libtorch.md)",
                self.name()
            )),
        }
    }

    /// The autodiff-enabled training device. Never `Device::default()`, which prefers LibTorch
    /// whenever it is compiled in.
    pub fn device(self) -> Device {
        match self {
            // A command trial trains outside this process; nothing of Burn runs for it.
            Backend::Flex | Backend::Command => Device::flex(),
            // burn-tch is deprecated upstream but still shipped with 0.22; we keep it for libtorch.
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            Backend::Tch => Device::libtorch(),
            #[cfg(feature = "tch")]
            #[allow(deprecated)]
            Backend::TchCuda => Device::libtorch_cuda(0),
            #[cfg(not(feature = "tch"))]
            _ => unreachable!("validated by check_available"),
        }
    }
}
