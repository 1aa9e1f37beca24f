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

/// The first line of libtorch's message inside a tch error's panic text
/// (`called `Result::unwrap()` on an `Err` value: Torch("Found no NVIDIA driver…\nException…`).
fn libtorch_reason(panic: &str) -> &str {
    let first = panic.split("\\n").next().unwrap_or(panic);
    let first = first.lines().next().unwrap_or(first);
    first.rsplit("Torch(\"").next().unwrap_or(first).trim_end_matches("\")")
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

    /// Whether trials on this backend train on a GPU (measured through NVML).
    pub fn uses_gpu(self) -> bool {
        self == Backend::TchCuda
    }

    /// Whether the backend can start on this machine: for `tch-cuda`, a CUDA device that
    /// libtorch can allocate on (checked once, before the first trial, so a sweep without one
    /// stops at once with exit 2 instead of failing every trial).
    pub fn check_usable(self) -> Result<(), String> {
        self.check_available()?;
        if self != Backend::TchCuda {
            return Ok(());
        }
        let device = self.device();
        // Quiet while probing: libtorch's refusal is a panic whose message (with a C++ stack of
        // 30 frames) would otherwise be printed before our one-line error.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let probe = std::panic::catch_unwind(move || {
            let t = burn::tensor::Tensor::<1>::zeros([1], &device);
            t.into_data().try_to_vec::<f32>().map(|v| v.len())
        });
        std::panic::set_hook(hook);
        match probe {
            Ok(Ok(1)) => Ok(()),
            Ok(other) => Err(format!("backend `tch-cuda`: the CUDA device answered {other:?}")),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "libtorch panicked".into());
                Err(format!(
                    "backend `tch-cuda` needs a CUDA device libtorch can use: {}",
                    libtorch_reason(&msg)
                ))
            }
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

#[cfg(test)]
mod tests {
    #[test]
    fn libtorch_reason_keeps_its_first_line() {
        let panic = r#"called `Result::unwrap()` on an `Err` value: Torch("Found no NVIDIA driver on your system.\nException raised from device_count_impl")"#;
        assert_eq!(super::libtorch_reason(panic), "Found no NVIDIA driver on your system.");
        assert_eq!(super::libtorch_reason("plain words"), "plain words");
    }
}
