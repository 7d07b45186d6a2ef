// Starts a real `needlepath serve` on a fresh SQLite database and an ephemeral port, and reads
// the address and first-run setup link it prints. The binary is target/debug/needlepath unless
// NEEDLEPATH_BIN says otherwise (CI builds it first).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function binary() {
  const bin = process.env.NEEDLEPATH_BIN || path.join(root, "target", "debug", "needlepath");
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: build it first (cargo build -p needlepath) or set NEEDLEPATH_BIN`);
  }
  return bin;
}

export async function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), "needlepath-browser-"));
  const db = path.join(dir, "clinic.db");
  const child = spawn(binary(), ["serve", "--database-url", `sqlite://${db}`, "--create-database", "--listen", "127.0.0.1:0"], {
    cwd: dir,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => { err += d; });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s:\n${out}\n${err}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const base = out.match(/serving on (http:\/\/[^\s]+)/);
      const setup = out.match(/(http:\/\/\S+\/setup\?token=\S+)/);
      if (base && setup) {
        clearTimeout(timer);
        resolve({ base: base[1], setup: setup[1] });
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the server exited with ${code}:\n${out}\n${err}`)); });
  });
  return {
    ...ready,
    stderr: () => err,
    /**
     * The latest invite link e-mailed to the patient, read from the outbox in the database (the
     * patient's inbox, for a test): staff never see the link (issue 14, defect 5).
     */
    inviteLink(patientId) {
      const script = path.join(root, "tests", "load", "invite_token.py");
      const token = execFileSync("python3", [script, db, patientId], { encoding: "utf8" }).trim();
      return `${ready.base}/invite?token=${token}`;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on("exit", r); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
