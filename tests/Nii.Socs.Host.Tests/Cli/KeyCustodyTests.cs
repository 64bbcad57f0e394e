using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;

namespace Nii.Socs.Host.Tests.Cli;

/// <summary>What the organization holds after the demo: no operator's private key, and only owner-only files (R6.3, R8.1, R8.4).</summary>
public sealed class KeyCustodyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("socs-custody-").FullName;

    private string Data => Path.Combine(_root, "data");

    private string People => Path.Combine(_root, "people");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Requirement", "R8.1")]
    [Trait("Requirement", "R6.3")]
    public void The_demos_data_directory_holds_no_private_key_of_any_operator()
    {
        var result = Cli.Run("demo", "--no-serve", "--data", Data, "--people", People);
        Assert.True(result.ExitCode == 0, result.Error);

        // The operators' and the staff member's keys exist — on their side.
        var keyFiles = Directory.GetFiles(People, "*.key.pem", SearchOption.AllDirectories);
        Assert.Equal(3, keyFiles.Length);
        var secrets = new List<byte[]>();
        foreach (var file in keyFiles)
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(file));
            secrets.Add(key.ExportParameters(true).D!);
            secrets.Add(key.ExportPkcs8PrivateKey());
            secrets.Add(Encoding.ASCII.GetBytes(Convert.ToBase64String(key.ExportParameters(true).D!)));
            secrets.Add(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(key.ExportParameters(true).D!)));
        }

        var scanned = 0;
        foreach (var file in Directory.GetFiles(Data, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (FileNotFoundException) when (file.Contains("log-commits", StringComparison.Ordinal))
            {
                // FASTER removes a superseded commit record in the background after a newer one is written; it held
                // nothing the newer one does not.
                continue;
            }

            scanned++;
            Assert.True(bytes.AsSpan().IndexOf("PRIVATE KEY-----"u8) < 0, $"{file} holds a PEM private key");
            Assert.False(IsPkcs12(bytes), $"{file} is a PKCS#12 bundle");
            Assert.False(IsPkcs8(bytes), $"{file} is a PKCS#8 private key");
            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(secret) < 0, $"{file} holds an operator's private key (raw)");
            }
        }

        Assert.True(scanned > 20, $"only {scanned} files scanned");

        // The host's own secrets (KEK, CA key) are outside the data directory too.
        Assert.True(File.Exists(Path.Combine(Data + ".secrets", "host.kek")));
        Assert.True(File.Exists(Path.Combine(Data + ".secrets", "pki", "ca.key.pem")));
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public async Task Demo_under_umask_000_leaves_only_0600_files_and_0700_directories()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var socs = Path.Combine(AppContext.BaseDirectory, "socs");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("umask 000; exec \"$0\" demo --no-serve --data \"$1\" --people \"$2\"");
        start.ArgumentList.Add(socs);
        start.ArgumentList.Add(Data);
        start.ArgumentList.Add(People);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, output + await error);

        var files = Directory.GetFiles(Data, "*", SearchOption.AllDirectories);
        Assert.True(files.Length > 20);
        foreach (var file in files)
        {
            Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is {File.GetUnixFileMode(file)}");
        }

        foreach (var directory in Directory.GetDirectories(Data, "*", SearchOption.AllDirectories).Append(Data).Append(Data + ".secrets"))
        {
            Assert.True(File.GetUnixFileMode(directory) == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), $"{directory} is {File.GetUnixFileMode(directory)}");
        }
    }

    [Fact]
    [Trait("Requirement", "R8.4")]
    public void A_key_encryption_key_inside_the_data_directory_is_refused()
    {
        Directory.CreateDirectory(Data);
        var result = Cli.Run("demo", "--no-serve", "--data", Data, "--people", People, "--set", $"Socs:Keys:KekPath={Path.Combine(Data, "host.kek")}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("inside the data directory", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Data));
    }

    private static bool IsPkcs12(byte[] bytes)
    {
        try
        {
            Pkcs12Info.Decode(bytes, out var read, skipCopy: true);
            return read > 0;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool IsPkcs8(byte[] bytes)
    {
        try
        {
            Pkcs8PrivateKeyInfo.Decode(bytes, out var read, skipCopy: true);
            return read > 0;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
