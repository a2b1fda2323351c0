#import "AppDelegate.h"
#import "OrdersViewController.h"

@interface AppDelegate ()
@property (nonatomic, strong) NSURLSession *session;
@end

@implementation AppDelegate

- (BOOL)application:(UIApplication *)application
    didFinishLaunchingWithOptions:(NSDictionary *)launchOptions {
    self.window = [[UIWindow alloc] initWithFrame:[[UIScreen mainScreen] bounds]];
    NSURLSessionConfiguration *config = [NSURLSessionConfiguration defaultSessionConfiguration];
    config.timeoutIntervalForRequest = 15.0;
    self.session = [NSURLSession sessionWithConfiguration:config];

    OrdersViewController *orders = [[OrdersViewController alloc] initWithSession:self.session];
    UINavigationController *nav = [[UINavigationController alloc] initWithRootViewController:orders];
    self.window.rootViewController = nav;
    [self.window makeKeyAndVisible];
    return YES;
}

- (void)applicationDidEnterBackground:(UIApplication *)application {
    [self.session flushWithCompletionHandler:^{
        NSLog(@"session flushed");
    }];
}

@end
