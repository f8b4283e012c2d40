using System.Globalization;
using OrleansFlow.Silo.Hosting;
using OrleansFlow.Silo.Tests.Kubernetes;

namespace OrleansFlow.Silo.Tests.Container;

/// <summary>
/// No container runtime exists where the tests run, so the Dockerfile is checked as text against what
/// it must agree with: the Kubernetes manifests (ports, user, image name), the silo (assembly, health
/// route) and the .dockerignore (everything it copies is in the build context).
/// </summary>
public sealed class DockerfileTests
{
    /// <summary>Orleans' default silo-to-silo and client gateway ports (SiloOptions / EndpointOptions).</summary>
    private static readonly int[] OrleansPorts = [11111, 30000];

    private static readonly string Root = Manifests.RepositoryRoot();
    private static readonly Dockerfile Image = Dockerfile.Load(Path.Combine(Root, "Dockerfile"));
    private static readonly Manifests K8s = Manifests.Load();

    [Fact]
    public void Stages_SdkBuildsThenAspNetRuntimeRunsWithOnlyTheBuildOutput()
    {
        Assert.True(Image.Stages.Count >= 2, "the Dockerfile must be multi-stage");
        var build = Image.Stages[0];
        Assert.Contains("dotnet/sdk:", build.Image, StringComparison.Ordinal);
        Assert.NotNull(build.Name);
        Assert.Contains(build.All("RUN"), run => run.Arguments.Contains("dotnet publish Silo/Silo.csproj", StringComparison.Ordinal));
        Assert.Contains(build.All("RUN"), run => run.Arguments.Contains("native/build.sh", StringComparison.Ordinal));

        Assert.Contains("dotnet/aspnet:", Image.Final.Image, StringComparison.Ordinal);
        // The final stage copies only from "app", which by default is the build stage (tools/image-check.sh
        // passes APP=prepublished: the host's self-contained publish).
        Assert.Equal(build.Name, Image.Stage("app").Image);
        Assert.Empty(Image.Stage("app").Instructions);
        Assert.All(Image.Final.All("COPY"), copy => Assert.StartsWith("--from=app ", copy.Arguments, StringComparison.Ordinal));
    }

    [Fact]
    public void User_NonRootAndTheUidTheDeploymentRunsAs()
    {
        var user = Assert.Single(Image.Final.All("USER")).Arguments;
        var runAsUser = K8s.Single("base", "Deployment", "orleansflow-silo").Text("spec.template.spec.securityContext.runAsUser");

        Assert.DoesNotContain(user, new[] { "root", "0" });
        Assert.Equal(runAsUser, user);
        // USER must come after the last RUN that needs root (apt-get).
        var instructions = Image.Final.Instructions.ToList();
        Assert.True(instructions.FindLastIndex(i => i.Keyword == "RUN") < instructions.FindIndex(i => i.Keyword == "USER"));
    }

    [Fact]
    public void Healthcheck_GetsHealthzOnTheDeploymentsHttpPort()
    {
        var check = Assert.Single(Image.Final.All("HEALTHCHECK"));
        var url = new Uri(check.Arguments[check.Arguments.IndexOf("http://", StringComparison.Ordinal)..].Split('"', ' ')[0]);

        Assert.Equal("/healthz", url.AbsolutePath);
        Assert.Equal(HttpPort(), url.Port);
        Assert.Contains($"http://+:{HttpPort()}", EnvOf(Image.Final)["ASPNETCORE_URLS"], StringComparison.Ordinal);
    }

    [Fact]
    public void Expose_EveryPortTheSiloManifestsDeclarePlusOrleansSiloAndGateway()
    {
        var exposed = Image.Final.All("EXPOSE").SelectMany(e => e.Words).Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)).ToHashSet();
        var declared = K8s.OfKind("Deployment").Where(d => d.Name == "orleansflow-silo")
            .SelectMany(d => d.List("spec.template.spec.containers"))
            .SelectMany(c => Manifest.At(c, "ports") as List<object> ?? [])
            .Select(p => int.Parse((string)Manifest.At(p, "containerPort")!, CultureInfo.InvariantCulture))
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Superset(declared.Concat(OrleansPorts).ToHashSet(), exposed);
    }

    [Fact]
    public void Entrypoint_RunsTheSilosAppHost()
    {
        var entrypoint = Assert.Single(Image.Final.All("ENTRYPOINT"));

        Assert.Equal(["/app/" + typeof(SiloOptions).Assembly.GetName().Name], entrypoint.Words);
        Assert.Equal("/app", Assert.Single(Image.Final.All("WORKDIR")).Arguments);
    }

    [Fact]
    public void ImageName_TheDeploymentsAndEveryKustomizationRenamesIt()
    {
        var image = K8s.Single("base", "Deployment", "orleansflow-silo").Text("spec.template.spec.containers.0.image");
        var renames = Directory.EnumerateFiles(K8s.Root, "kustomization.yaml", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadAllLines(file).Where(line => line.TrimStart().StartsWith("newName:", StringComparison.Ordinal)))
            .Select(line => line.Split(':', 2)[1].Trim())
            .ToList();

        Assert.Equal("orleansflow-silo", image);
        Assert.NotEmpty(renames);
        Assert.All(renames, name => Assert.True(name == image || name.EndsWith("/" + image, StringComparison.Ordinal), $"{name} is not the {image} image"));
        Assert.Contains($"docker build -t {image}", File.ReadAllText(Path.Combine(Root, "docs", "kubernetes.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_EverySourceExistsAndIsInTheBuildContext()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore"))
            .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
        // The prepublished stage's context is tools/image-check.sh's staging directory, not the repository.
        var sources = Image.Stages.Where(s => s.Name != "prepublished").SelectMany(s => s.All("COPY"))
            .Where(copy => !copy.Arguments.StartsWith("--from=", StringComparison.Ordinal))
            .SelectMany(copy => copy.Words.SkipLast(1))
            .ToList();

        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"COPY {source}: not in the repository");
            Assert.DoesNotContain(ignored, pattern => !pattern.StartsWith("**/", StringComparison.Ordinal) && source.TrimEnd('/').StartsWith(pattern.TrimEnd('/'), StringComparison.Ordinal));
        }
    }

    private static int HttpPort()
    {
        var container = K8s.Single("base", "Deployment", "orleansflow-silo").List("spec.template.spec.containers")[0];
        var ports = (List<object>)Manifest.At(container, "ports")!;
        var http = ports.Single(p => (string?)Manifest.At(p, "name") == "http");
        return int.Parse((string)Manifest.At(http, "containerPort")!, CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> EnvOf(DockerStage stage) =>
        stage.All("ENV").SelectMany(e => e.Words).Select(word => word.Split('=', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
}
