global using Xunit;
global using Xunit.Abstractions;
global using Microsoft.AspNetCore.Builder;
global using Microsoft.Extensions.DependencyInjection;
