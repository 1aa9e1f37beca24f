/* A fake libnvidia-ml.so.1 for wattsweep's tests: two boards, the second split into one MIG
 * instance, with what the real library keeps outside the process kept in a state file, as the
 * driver keeps it: the power limits (so a limit set by a process that is then SIGKILLed stays
 * set for the next one). Only the entry points wattsweep (through nvml-wrapper) calls exist;
 * nvml-wrapper loads each symbol on first use.
 *
 * Environment:
 *   FAKE_NVML_STATE     file with the two limits in mW ("250000 250000"), created if absent
 *   FAKE_NVML_INIT      nvmlInit_v2 returns this code (18: library/driver version mismatch)
 *   FAKE_NVML_DENY_SET  board index whose nvmlDeviceSetPowerManagementLimit answers
 *                       NVML_ERROR_NO_PERMISSION
 * Board 0 draws 150 W, board 1 60 W; the energy counter is power × time since load, in mJ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int nvmlReturn_t;
enum { OK = 0, UNINIT = 1, INVALID = 2, NOT_SUPPORTED = 3, NO_PERMISSION = 4, NOT_FOUND = 6 };

typedef struct {
    int index;
    int mig; /* 1 for the MIG instance's handle */
} fake_device;

static fake_device boards[2] = {{0, 0}, {1, 0}};
static fake_device mig_instance = {1, 1};
static const char *uuids[2] = {"GPU-00000000-0000-0000-0000-000000000000",
                               "GPU-11111111-1111-1111-1111-111111111111"};
static const char *mig_uuid = "MIG-11111111-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
static const char *buses[2] = {"00000000:3B:00.0", "00000000:81:00.0"};
static const unsigned watts[2] = {150, 60};
static struct timespec loaded;

typedef struct {
    char busIdLegacy[16];
    unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

static double since_load_s(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - loaded.tv_sec) + (now.tv_nsec - loaded.tv_nsec) / 1e9;
}

static void read_limits(unsigned limits[2]) {
    limits[0] = limits[1] = 250000;
    const char *path = getenv("FAKE_NVML_STATE");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) {
        if (fscanf(f, "%u %u", &limits[0], &limits[1]) != 2) limits[0] = limits[1] = 250000;
        fclose(f);
    }
}

static void write_limits(const unsigned limits[2]) {
    const char *path = getenv("FAKE_NVML_STATE");
    if (!path) return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "%u %u\n", limits[0], limits[1]);
    fclose(f);
    rename(tmp, path);
}

static int board_of(void *device) {
    fake_device *d = device;
    return d ? d->index : -1;
}

nvmlReturn_t nvmlInit_v2(void) {
    const char *code = getenv("FAKE_NVML_INIT");
    if (code && *code) return atoi(code);
    clock_gettime(CLOCK_MONOTONIC, &loaded);
    return OK;
}
nvmlReturn_t nvmlInitWithFlags(unsigned flags) { (void)flags; return nvmlInit_v2(); }
nvmlReturn_t nvmlShutdown(void) { return OK; }
const char *nvmlErrorString(nvmlReturn_t r) { (void)r; return "fake NVML error"; }

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned length) {
    snprintf(version, length, "550.54.15");
    return OK;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count) { *count = 2; return OK; }

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned index, void **device) {
    if (index > 1) return INVALID;
    *device = &boards[index];
    return OK;
}

nvmlReturn_t nvmlDeviceGetName(void *device, char *name, unsigned length) {
    fake_device *d = device;
    snprintf(name, length, d->mig ? "Fake A100 MIG 1g.10gb" : "Fake A100");
    return OK;
}

nvmlReturn_t nvmlDeviceGetUUID(void *device, char *uuid, unsigned length) {
    fake_device *d = device;
    snprintf(uuid, length, "%s", d->mig ? mig_uuid : uuids[d->index]);
    return OK;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(void *device, nvmlPciInfo_t *pci) {
    int i = board_of(device);
    memset(pci, 0, sizeof *pci);
    snprintf(pci->busId, sizeof pci->busId, "%s", buses[i]);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%s", buses[i] + 4);
    pci->bus = i ? 0x81 : 0x3b;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(void *device, unsigned *count) {
    *count = board_of(device) == 1 ? 1 : 0;
    return OK;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(void *device, unsigned index, void **mig) {
    if (board_of(device) != 1 || index != 0) return NOT_FOUND;
    *mig = &mig_instance;
    return OK;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(void *device, unsigned long long *mj) {
    *mj = (unsigned long long)(watts[board_of(device)] * since_load_s() * 1000.0);
    return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(void *device, unsigned *mw) {
    *mw = watts[board_of(device)] * 1000;
    return OK;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(void *device, unsigned *mw) {
    unsigned limits[2];
    read_limits(limits);
    *mw = limits[board_of(device)];
    return OK;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimitConstraints(void *device, unsigned *lo, unsigned *hi) {
    (void)device;
    *lo = 100000;
    *hi = 300000;
    return OK;
}

nvmlReturn_t nvmlDeviceSetPowerManagementLimit(void *device, unsigned mw) {
    const char *deny = getenv("FAKE_NVML_DENY_SET");
    int i = board_of(device);
    if (deny && *deny && atoi(deny) == i) return NO_PERMISSION;
    if (mw < 100000 || mw > 300000) return INVALID;
    unsigned limits[2];
    read_limits(limits);
    limits[i] = mw;
    write_limits(limits);
    return OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(void *device, unsigned *count, void *infos) {
    (void)device;
    (void)infos;
    *count = 0;
    return OK;
}
