using System.Text;
using AnyNet.Backends.Tasks;
using AnyNet.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace AnyNet.Conformance.Tests.Hosting;

public sealed class AnyNetOptionsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_unknown_backend_name_fails_start_up_listing_the_registered_backends()
    {
        using IHost host = BuildHost(
            builder => builder.AddAnyNet().AddBackend("tasks", NotCreated).AddBackend("custom", NotCreated),
            ("AnyNet:Backend", "libuv"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(s_timeout));
        Assert.Contains("The AnyNet backend 'libuv' (AnyNet:Backend) is not registered. Registered backends: tasks, custom.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolving_the_backend_with_an_unknown_name_fails_with_the_same_message()
    {
        var services = new ServiceCollection();
        services.AddAnyNet(options => options.Backend = "reactor").AddBackend("tasks", NotCreated);
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IAsyncBackend>());
        Assert.Contains("'reactor'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Registered backends: tasks.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_registered_backend_fails_start_up()
    {
        using IHost host = BuildHost(builder => builder.AddAnyNet());
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(s_timeout));
        Assert.Contains("No AnyNet backend is registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unset_backend_is_tasks_when_registered()
    {
        await using ServiceProvider provider = Provider(null, ("custom", NotCreated), ("tasks", _ => new TasksBackend()));
        Assert.IsType<TasksBackend>(provider.GetRequiredService<IAsyncBackend>());
    }

    [Fact]
    public async Task An_unset_backend_is_the_only_registered_one()
    {
        await using ServiceProvider provider = Provider(null, ("mine", _ => new TasksBackend()));
        Assert.IsType<TasksBackend>(provider.GetRequiredService<IAsyncBackend>());
    }

    [Fact]
    public void An_unset_backend_with_several_registered_and_no_tasks_fails()
    {
        using ServiceProvider provider = Provider(null, ("a", NotCreated), ("b", NotCreated));
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IAsyncBackend>());
        Assert.Contains("AnyNet:Backend is not set and several AnyNet backends are registered; set it to one of: a, b.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backend_names_compare_ignoring_case_and_a_later_registration_replaces_an_earlier_one()
    {
        int created = 0;
        await using ServiceProvider provider = Provider(
            "LibUV",
            ("libuv", NotCreated),
            ("other", NotCreated),
            ("LIBUV", _ =>
            {
                created++;
                return new TasksBackend();
            }));
        IAsyncBackend backend = provider.GetRequiredService<IAsyncBackend>();
        Assert.Same(backend, provider.GetRequiredService<IAsyncBackend>());
        Assert.Equal(1, created);
    }

    [Fact]
    public async Task The_backend_is_chosen_by_the_environment_variable_AnyNet__Backend()
    {
        string prefix = $"ANYNET_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "AnyNet__Backend", "second");
        try
        {
            HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddEnvironmentVariables(prefix);
            builder.AddAnyNet().AddBackend("tasks", NotCreated).AddBackend("second", _ => new TasksBackend());
            using IHost host = builder.Build();
            Assert.Equal("second", host.Services.GetRequiredService<IOptions<AnyNetOptions>>().Value.Backend);
            Assert.IsType<TasksBackend>(host.Services.GetRequiredService<IAsyncBackend>());
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "AnyNet__Backend", null);
        }
    }

    [Fact]
    public void Options_are_bound_from_an_appsettings_section()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        using var json = new MemoryStream(Encoding.UTF8.GetBytes("""{ "AnyNet": { "Backend": "libuv", "DrainTimeout": "00:00:03" } }"""));
        builder.Configuration.AddJsonStream(json);
        builder.AddAnyNet().AddBackend("libuv", NotCreated);
        using IHost host = builder.Build();

        AnyNetOptions options = host.Services.GetRequiredService<IOptions<AnyNetOptions>>().Value;
        Assert.Equal("libuv", options.Backend);
        Assert.Equal(TimeSpan.FromSeconds(3), options.DrainTimeout);
    }

    [Fact]
    public void The_configure_delegate_is_applied_after_configuration()
    {
        using IHost host = BuildHost(
            builder => builder.AddAnyNet(options => options.Backend = "code").AddBackend("code", NotCreated).AddBackend("config", NotCreated),
            ("AnyNet:Backend", "config"),
            ("AnyNet:DrainTimeout", "00:00:07"));
        AnyNetOptions options = host.Services.GetRequiredService<IOptions<AnyNetOptions>>().Value;
        Assert.Equal("code", options.Backend);
        Assert.Equal(TimeSpan.FromSeconds(7), options.DrainTimeout);
    }

    [Fact]
    public void Without_configuration_the_defaults_apply()
    {
        var services = new ServiceCollection();
        services.AddAnyNet().AddBackend("tasks", NotCreated);
        using ServiceProvider provider = services.BuildServiceProvider();
        AnyNetOptions options = provider.GetRequiredService<IOptions<AnyNetOptions>>().Value;
        Assert.Null(options.Backend);
        Assert.Equal(TimeSpan.FromSeconds(10), options.DrainTimeout);
    }

    [Theory]
    [InlineData("-00:00:01", false)]
    [InlineData("-00:00:00.0010000", true)]
    [InlineData("00:00:00", true)]
    public void A_negative_drain_timeout_other_than_infinite_fails_validation(string drainTimeout, bool valid)
    {
        using IHost host = BuildHost(
            builder => builder.AddAnyNet().AddBackend("tasks", NotCreated),
            ("AnyNet:DrainTimeout", drainTimeout));
        if (valid)
        {
            Assert.Equal(TimeSpan.Parse(drainTimeout, System.Globalization.CultureInfo.InvariantCulture), host.Services.GetRequiredService<IOptions<AnyNetOptions>>().Value.DrainTimeout);
        }
        else
        {
            var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<AnyNetOptions>>().Value);
            Assert.Contains("AnyNet:DrainTimeout is -00:00:01; it must not be negative.", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_container_owns_and_disposes_the_backend()
    {
        IAsyncBackend backend;
        await using (ServiceProvider provider = Provider("tasks", ("tasks", _ => new TasksBackend())))
        {
            backend = provider.GetRequiredService<IAsyncBackend>();
            Assert.Equal(1, await backend.RunAsync(_ => Task.FromResult(1)));
        }

        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => backend.RunAsync(_ => Task.FromResult(1)));
    }

    [Fact]
    public async Task A_backend_type_is_created_with_its_constructor_services()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new TasksBackendOptions { TimeProvider = TimeProvider.System });
        services.AddAnyNet().AddBackend<TasksBackend>("tasks");
        await using ServiceProvider provider = services.BuildServiceProvider();
        Assert.IsType<TasksBackend>(provider.GetRequiredService<IAsyncBackend>());
    }

    [Fact]
    public void Calling_AddAnyNet_twice_registers_the_core_services_once()
    {
        var services = new ServiceCollection();
        services.AddAnyNet();
        services.AddAnyNet();
        Assert.Single(services, d => d.ServiceType == typeof(IAsyncBackend));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<AnyNetOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IConfigureOptions<AnyNetOptions>) && d.ImplementationType is not null);
    }

    [Fact]
    public void An_application_registered_backend_is_kept()
    {
        using var mine = new TasksBackend();
        var services = new ServiceCollection();
        services.AddSingleton<IAsyncBackend>(mine);
        services.AddAnyNet();
        services.AddAnyNet();
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Same(mine, provider.GetRequiredService<IAsyncBackend>());

        // No named backend is needed then: the options validate.
        Assert.Null(provider.GetRequiredService<IOptions<AnyNetOptions>>().Value.Backend);
    }

    [Theory]
    [InlineData("tcp:70000", "'70000' is not a port")]
    [InlineData("localhost:7000", "the scheme 'localhost' is not tcp or unix")]
    [InlineData("", "the string is empty")]
    public void A_malformed_server_endpoint_fails_at_registration_showing_the_accepted_forms(string endpoint, string reason)
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<FormatException>(() => services.AddAnyNetServer(endpoint, (_, _) => Task.CompletedTask));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(AnyNetEndPoint.AcceptedForms, error.Message, StringComparison.Ordinal);
        Assert.Empty(services);
    }

    [Fact]
    public void The_configure_delegate_may_replace_the_endpoint_and_is_checked_too()
    {
        var services = new ServiceCollection();
        services.AddAnyNetServer("tcp:1", (_, _) => Task.CompletedTask, options => options.Endpoint = "unix:/tmp/x.sock");
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Equal("unix:/tmp/x.sock", Assert.Single(provider.GetServices<AnyNetServer>()).EndPoint.ToString());

        Assert.Throws<FormatException>(() => services.AddAnyNetServer("tcp:1", (_, _) => Task.CompletedTask, options => options.Endpoint = "tcp:x"));
        Assert.Throws<FormatException>(() => services.AddAnyNetServer("tcp:1", (_, _) => Task.CompletedTask, options => options.Endpoint = null!));
        Assert.Throws<ArgumentNullException>(() => services.AddAnyNetServer(null!, (_, _) => Task.CompletedTask));
    }

    [Theory]
    [InlineData(nameof(AnyNetServerOptions.Backlog))]
    [InlineData(nameof(AnyNetServerOptions.MaxConnections))]
    [InlineData(nameof(AnyNetServerOptions.DrainTimeout))]
    public void Out_of_range_server_options_fail_at_registration(string option)
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => services.AddAnyNetServer("tcp:7000", (_, _) => Task.CompletedTask, options =>
        {
            switch (option)
            {
                case nameof(AnyNetServerOptions.Backlog): options.Backlog = 0; break;
                case nameof(AnyNetServerOptions.MaxConnections): options.MaxConnections = 0; break;
                default: options.DrainTimeout = TimeSpan.FromSeconds(-1); break;
            }
        }));
        Assert.Equal(option, error.ParamName);
        Assert.Contains("tcp:7000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_server_options_pass_and_an_infinite_drain_timeout_is_allowed()
    {
        var options = new AnyNetServerOptions { Endpoint = "tcp:[::1]:0", DrainTimeout = Timeout.InfiniteTimeSpan, MaxConnections = 1, Backlog = 1 };
        options.Validate();
    }

    [Fact]
    public void Every_registered_server_is_a_hosted_service_and_an_AnyNetServer()
    {
        var services = new ServiceCollection();
        services.AddAnyNetServer("tcp:127.0.0.1:0", (_, _) => Task.CompletedTask);
        services.AddAnyNetServer("unix:/tmp/a.sock", (_, _) => Task.CompletedTask);
        using ServiceProvider provider = services.BuildServiceProvider();
        AnyNetServer[] servers = [.. provider.GetServices<AnyNetServer>()];
        Assert.Equal(["tcp:127.0.0.1:0", "unix:/tmp/a.sock"], servers.Select(s => s.EndPoint.ToString()));
        Assert.Equal(servers, provider.GetServices<IHostedService>().OfType<AnyNetServer>());
        Assert.All(servers, s => Assert.Null(s.LocalEndPoint));
    }

    private static IAsyncBackend NotCreated(IServiceProvider services) => throw new InvalidOperationException("This backend must not be created.");

    private static IHost BuildHost(Action<HostApplicationBuilder> configure, params (string Key, string Value)[] configuration)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)));
        configure(builder);
        return builder.Build();
    }

    private static ServiceProvider Provider(string? backend, params (string Name, Func<IServiceProvider, IAsyncBackend> Factory)[] backends)
    {
        var services = new ServiceCollection();
        AnyNetBuilder anyNet = services.AddAnyNet(options => options.Backend = backend);
        foreach ((string name, Func<IServiceProvider, IAsyncBackend> factory) in backends)
        {
            anyNet.AddBackend(name, factory);
        }

        return services.BuildServiceProvider();
    }
}
