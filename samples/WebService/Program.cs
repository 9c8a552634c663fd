// The MirrorGAN web service sample: README "Web service".
//   dotnet run --project samples/WebService -c Release -- --model ./mirrorgan-output/model.zip
using Microsoft.ML.MirrorGan.WebService;

var app = MirrorGanWebApp.Build(args);
app.Run();

/// <summary>The entry point; public so tests can host the app with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program
{
}
