// The MirrorGAN web service sample: README "Web service".
//   dotnet run --project samples/WebService -c Release -- --model ./mirrorgan-output/model.zip
//   dotnet run --project samples/WebService -c Release -- --help
using Microsoft.ML.MirrorGan.WebService;

return WebServiceCommand.Run(args);

/// <summary>The entry point; public so tests can host the app with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program
{
}
