//! The wgpu backend: workloads as WGSL compute shaders on a Vulkan adapter, in
//! f64 with double-double reductions. It refuses adapters without f64 shaders
//! rather than computing in f32, refuses shaders that call f64 transcendental
//! built-ins (wrong on Vulkan drivers), and guards every series invocation
//! against drivers that stop long loops silently (see `shaders/series.wgsl`).

mod grid;
mod series;
mod shader;
mod timer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Once, mpsc};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use gearbox_core::{Backend, BackendOptions, ChunkPlan, Control, Dd, DeviceInfo, GridJob, Kernel};

use shader::Composed;
use timer::GpuTimer;
use wgpu::util::DeviceExt;

/// Features gearbox needs: f64 and u64 arithmetic in shaders.
const REQUIRED: wgpu::Features = wgpu::Features::SHADER_F64.union(wgpu::Features::SHADER_INT64);

/// Features gearbox uses where the adapter has them: GPU times of passes.
const OPTIONAL: wgpu::Features = wgpu::Features::TIMESTAMP_QUERY;

/// How long a read-back waits for its mapping callback once the GPU has finished
/// the submission (the callback only has to be called, by whichever thread
/// collected it).
const MAP_CALLBACK_WAIT: Duration = Duration::from_secs(10);

/// An open wgpu device with its cached pipelines.
pub struct Wgpu {
    adapter: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    limits: wgpu::Limits,
    /// Times every compute pass (used under `runs`, one submission at a time).
    timer: GpuTimer,
    /// The first error wgpu reported outside an error scope (validation, device lost).
    errors: Arc<Mutex<Option<String>>>,
    /// Compiled pipelines, by shader text and entry point.
    pipelines: Mutex<HashMap<(String, &'static str), Arc<wgpu::ComputePipeline>>>,
    /// Bind group 1 of every pipeline: `gearbox_zero` of the WGSL library
    /// (`shaders/dd.wgsl`) and the workload's `params`.
    library_layout: wgpu::BindGroupLayout,
    /// The buffer behind `gearbox_zero` (and behind `params` when there are none).
    zero: wgpu::Buffer,
    /// Held for a whole run: one run at a time uses the device (a map callback
    /// of one run may otherwise fire in another run's poll).
    runs: Mutex<Runs>,
}

/// What runs keep between them.
struct Runs {
    /// Seconds spent opening the device, reported as "setup" by the first run.
    open_seconds: Option<f64>,
    series: series::Buffers,
    grid: grid::Buffers,
}

impl Runs {
    /// Records the device's opening time as "setup", once.
    fn report_open(&mut self, control: &Control) {
        if let Some(s) = self.open_seconds.take() {
            control.record_phase("setup", s);
        }
    }
}

/// Mesa's device-select layer prints "error: XDG_RUNTIME_DIR is invalid or not set"
/// on every Vulkan instance when that variable is missing (over ssh, in CI, in test
/// binaries); in that case only, switch the layer off, as Mesa documents. Done here,
/// once, before this library's first instance, so that every front end is quiet.
fn quiet_mesa() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("XDG_RUNTIME_DIR").is_none()
            && std::env::var_os("NODEVICE_SELECT").is_none()
        {
            // SAFETY: Rust's own environment accesses are serialised by std; no Vulkan
            // instance of this library exists yet (other opens wait on `ONCE`), so the
            // driver, the only C code here that reads the environment, is not running.
            unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
        }
    });
}

/// Preference among adapters when none is named: real GPUs before software ones.
fn rank(kind: wgpu::DeviceType) -> u8 {
    match kind {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// The features of `REQUIRED` that `adapter` lacks, by name.
fn missing(adapter: &wgpu::Adapter) -> Vec<&'static str> {
    [
        (wgpu::Features::SHADER_F64, "SHADER_F64"),
        (wgpu::Features::SHADER_INT64, "SHADER_INT64"),
    ]
    .into_iter()
    .filter(|(f, _)| !adapter.features().contains(*f))
    .map(|(_, name)| name)
    .collect()
}

/// "name (backend)" of an adapter, with the features it lacks.
fn describe(adapter: &wgpu::Adapter) -> String {
    let info = adapter.get_info();
    match missing(adapter).as_slice() {
        [] => format!("{} ({})", info.name, info.backend),
        lacks => format!(
            "{} ({}, no {})",
            info.name,
            info.backend,
            lacks.join(" or ")
        ),
    }
}

/// Picks the adapter named by `wanted` (a case-insensitive substring), or the
/// best one with f64 shaders.
fn choose(adapters: Vec<wgpu::Adapter>, wanted: Option<&str>) -> anyhow::Result<wgpu::Adapter> {
    if adapters.is_empty() {
        bail!(
            "no GPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers, and the loader libvulkan1)"
        );
    }
    let names = || adapters.iter().map(describe).collect::<Vec<_>>().join(", ");
    let mut candidates: Vec<&wgpu::Adapter> = match wanted {
        Some(want) => {
            let want = want.to_lowercase();
            let found: Vec<_> = adapters
                .iter()
                .filter(|a| a.get_info().name.to_lowercase().contains(&want))
                .collect();
            if found.is_empty() {
                bail!(
                    "no GPU adapter matches --adapter {want:?}; available: {}",
                    names()
                );
            }
            found
        }
        None => adapters.iter().collect(),
    };
    candidates.sort_by_key(|a| {
        (
            !a.features().contains(REQUIRED),
            rank(a.get_info().device_type),
        )
    });
    let best = candidates[0];
    let lacks = missing(best);
    if !lacks.is_empty() {
        bail!(
            "GPU adapter {} lacks {} (f64/u64 in shaders), and gearbox does not compute in f32; available: {}",
            best.get_info().name,
            lacks.join(" and "),
            names()
        );
    }
    Ok(best.clone())
}

impl Wgpu {
    /// Fails with the first error wgpu reported outside an error scope.
    fn check_errors(&self) -> anyhow::Result<()> {
        match self.errors.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => Err(anyhow!("the GPU reported an error: {e}")),
            None => Ok(()),
        }
    }

    /// The compute pipeline of `shader` at `entry`, compiled once per shader text
    /// (the time it takes is recorded as phase "compile"). `layout` describes bind group 0.
    fn pipeline(
        &self,
        shader: &Composed,
        entry: &'static str,
        layout: &[wgpu::BindGroupLayoutEntry],
        control: &Control,
    ) -> anyhow::Result<Arc<wgpu::ComputePipeline>> {
        let key = (shader.text.clone(), entry);
        if let Some(p) = self
            .pipelines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(p.clone());
        }
        let pipeline = control.timed("compile", || self.compile(shader, entry, layout))?;
        self.pipelines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// Checks `shader` and compiles it into a pipeline.
    fn compile(
        &self,
        shader: &Composed,
        entry: &'static str,
        layout: &[wgpu::BindGroupLayoutEntry],
    ) -> anyhow::Result<Arc<wgpu::ComputePipeline>> {
        shader.check()?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(entry),
                source: wgpu::ShaderSource::Wgsl(shader.text.as_str().into()),
            });
        let bind_layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(entry),
                entries: layout,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(entry),
                bind_group_layouts: &[Some(&bind_layout), Some(&self.library_layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            bail!("the GPU driver refused the shader: {e}");
        }
        Ok(Arc::new(pipeline))
    }

    /// Waits for the GPU, then runs `read` on the first `bytes` of `buffer`
    /// (which the queue has been told to fill) and unmaps it.
    fn read_back<T>(
        &self,
        buffer: &wgpu::Buffer,
        bytes: u64,
        read: impl FnOnce(&[u8]) -> T,
    ) -> anyhow::Result<T> {
        self.read_back_after(None, buffer, bytes, read)
    }

    /// [`Wgpu::read_back`], waiting only for `submission` (`None`: the latest),
    /// so later submissions keep the GPU busy meanwhile.
    fn read_back_after<T>(
        &self,
        submission: Option<wgpu::SubmissionIndex>,
        buffer: &wgpu::Buffer,
        bytes: u64,
        read: impl FnOnce(&[u8]) -> T,
    ) -> anyhow::Result<T> {
        let (mapped, outcome) = mpsc::channel();
        buffer.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
            let _ = mapped.send(r);
        });
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: submission,
                timeout: None,
            })
            .map_err(|e| anyhow!("waiting for the GPU failed: {e}"))?;
        self.check_errors()?;
        // The submission is done, but another thread's poll or submit may have
        // collected the mapping callback and not called it yet: wait for it.
        match outcome.recv_timeout(MAP_CALLBACK_WAIT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => bail!("reading results back from the GPU failed: {e}"),
            Err(_) => bail!("the GPU never finished (buffer not mapped)"),
        }
        let value = {
            let view = buffer
                .slice(..bytes)
                .get_mapped_range()
                .map_err(|e| anyhow!("reading results back from the GPU failed: {e}"))?;
            read(&view)
        };
        buffer.unmap();
        Ok(value)
    }

    /// Records one dispatch of `pipeline` with `bind_group` as group 0 and the
    /// workload's `library` group as group 1, over `groups` workgroups laid out in
    /// 2-D (each dimension within the limit).
    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        library: &wgpu::BindGroup,
        groups: u32,
    ) {
        let x = groups.clamp(1, self.limits.max_compute_workgroups_per_dimension);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: self.timer.pass_writes(),
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.set_bind_group(1, library, &[]);
        pass.dispatch_workgroups(x, groups.div_ceil(x), 1);
    }
}

/// A storage-buffer binding of bind group 0 for a compute shader.
fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A uniform-buffer binding of bind group 0 for a compute shader.
fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A workload instance's side of a shader: its WGSL, the declarations of its
/// numeric parameters, and bind group 1 with their values.
struct WorkloadShader {
    wgsl: String,
    params: Option<String>,
    library: wgpu::BindGroup,
}

impl WorkloadShader {
    /// Fails when the workload has no GPU kernel.
    fn new(gpu: &Wgpu, kernel: &Kernel) -> anyhow::Result<WorkloadShader> {
        let Some(wgsl) = kernel.wgsl()? else {
            bail!(
                "workload {} has no GPU kernel; run it on serial or rayon",
                kernel.name()?
            );
        };
        let uniform = gearbox_core::wgsl::params_uniform(&kernel.params()?)?;
        let values = uniform.as_ref().map(|u| {
            gpu.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("workload params"),
                    contents: &u.bytes,
                    usage: wgpu::BufferUsages::UNIFORM,
                })
        });
        let library = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("gearbox library"),
            layout: &gpu.library_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: gpu.zero.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: gearbox_core::wgsl::PARAMS_BINDING,
                    resource: values.as_ref().unwrap_or(&gpu.zero).as_entire_binding(),
                },
            ],
        });
        Ok(WorkloadShader {
            wgsl,
            params: uniform.map(|u| u.wgsl),
            library,
        })
    }

    /// The whole shader: gearbox's library, the parameters, the workload, then `driver`.
    fn compose(&self, driver: &str) -> Composed {
        let library = gearbox_core::wgsl::library();
        let mut parts = vec![("library", library.as_str())];
        parts.extend(self.params.as_deref().map(|p| ("parameters", p)));
        parts.push(("workload", &self.wgsl));
        parts.push(("driver", driver));
        Composed::new(&parts)
    }
}

impl Backend for Wgpu {
    const NAME: &'static str = "wgpu";
    const ABOUT: &'static str =
        "WGSL compute shaders through wgpu (Vulkan), f64 with double-double sums";
    const OPTIONS: &'static [&'static str] = &["adapter"];

    fn open(options: &BackendOptions) -> anyhow::Result<Self> {
        let start = Instant::now();
        quiet_mesa();
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::VULKAN);
        let backends = desc.backends;
        let instance = wgpu::Instance::new(desc);
        let adapters = pollster::block_on(instance.enumerate_adapters(backends));
        let adapter = choose(adapters, options.adapter.as_deref())?;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gearbox"),
            required_features: REQUIRED | (adapter.features() & OPTIONAL),
            required_limits: limits.clone(),
            memory_hints: wgpu::MemoryHints::Performance,
            ..Default::default()
        }))
        .map_err(|e| {
            anyhow!(
                "GPU adapter {}: cannot open a device: {e}",
                adapter.get_info().name
            )
        })?;
        let errors = Arc::new(Mutex::new(None));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e.to_string());
        }));
        let library_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("gearbox library"),
            entries: &[
                uniform_entry(0),
                uniform_entry(gearbox_core::wgsl::PARAMS_BINDING),
            ],
        });
        let zero = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gearbox_zero"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM,
            mapped_at_creation: true,
        });
        // Mapped at creation, the buffer reads as zeros.
        zero.unmap();
        Ok(Wgpu {
            adapter: adapter.get_info(),
            timer: GpuTimer::new(&device, &queue),
            library_layout,
            zero,
            device,
            queue,
            limits,
            errors,
            pipelines: Mutex::new(HashMap::new()),
            runs: Mutex::new(Runs {
                open_seconds: Some(start.elapsed().as_secs_f64()),
                series: series::Buffers::default(),
                grid: grid::Buffers::default(),
            }),
        })
    }

    fn device(&self) -> DeviceInfo {
        DeviceInfo {
            device: format!(
                "{} ({}, {})",
                self.adapter.name, self.adapter.backend, self.adapter.driver
            ),
            threads: None,
        }
    }

    fn run_series(
        &self,
        kernel: &Kernel,
        plan: &ChunkPlan,
        control: &Control,
    ) -> anyhow::Result<Dd> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.report_open(control);
        let shader = WorkloadShader::new(self, kernel)?;
        series::run(self, &mut runs.series, &shader, plan, control)
    }

    fn run_grid(
        &self,
        kernel: &Kernel,
        job: &GridJob<'_>,
        control: &Control,
    ) -> anyhow::Result<()> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.report_open(control);
        let shader = WorkloadShader::new(self, kernel)?;
        grid::run(self, &mut runs.grid, kernel, &shader, job, control)
    }
}

gearbox_core::export_backend!(Wgpu);
