//! `xinfang bulletin issue|list`: circulated notices of praise or criticism (通报)
//! about units below. The node checks and records; the CLI sends and shows.

use clap::{Subcommand, ValueEnum};
use xinfang_proto::v1 as pb;
use xinfang_proto::v1::bulletins_client::BulletinsClient;

use crate::conn::{ConnArgs, status_error};
use crate::output::{Lang, print_json, table};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// 通报表扬
    Praise,
    /// 通报批评
    Criticism,
}

#[derive(Debug, Subcommand)]
pub enum BulletinCmd {
    /// Circulate a notice about units below this one
    Issue {
        #[command(flatten)]
        conn: ConnArgs,
        #[arg(long, value_enum)]
        kind: Kind,
        /// A unit praised or criticised (code; repeatable)
        #[arg(long = "about", value_name = "UNIT", required = true)]
        units: Vec<String>,
        #[arg(long)]
        title: String,
        #[arg(long)]
        text: String,
        /// What it rests on: a case number, a reception day and leader (repeatable)
        #[arg(long = "ground")]
        grounds: Vec<String>,
        /// Dated (YYYY-MM-DD; default today)
        #[arg(long, default_value = "")]
        date: String,
    },
    /// The notices about a unit (default: this node's): issued by it or naming it
    /// or a unit below it
    List {
        #[command(flatten)]
        conn: ConnArgs,
        /// The unit asked about (default: this node's)
        #[arg(long = "about", default_value = "")]
        about: String,
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
    },
}

fn show(list: &[pb::BulletinView], json: bool, lang: Lang) -> anyhow::Result<()> {
    if json {
        return print_json(&list);
    }
    let mut t = table(vec![
        lang.t("日期", "date"),
        lang.t("类别", "kind"),
        lang.t("发文单位", "issuer"),
        lang.t("通报对象", "about"),
        lang.t("标题", "title"),
        lang.t("依据", "grounds"),
    ]);
    for b in list {
        t.add_row(vec![
            b.date.clone(),
            b.kind_label.clone(),
            b.issuer_name.clone(),
            b.unit_names.join("、"),
            b.title.clone(),
            b.grounds.join("；"),
        ]);
    }
    println!("{t}");
    Ok(())
}

pub async fn run(cmd: BulletinCmd, json: bool, lang: Lang) -> anyhow::Result<()> {
    match cmd {
        BulletinCmd::Issue {
            conn,
            kind,
            units,
            title,
            text,
            grounds,
            date,
        } => {
            let b = BulletinsClient::new(conn.channel().await?)
                .issue(pb::IssueBulletinRequest {
                    kind: match kind {
                        Kind::Praise => "praise",
                        Kind::Criticism => "criticism",
                    }
                    .to_owned(),
                    units,
                    title,
                    text,
                    grounds,
                    date,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(&[b], json, lang)
        }
        BulletinCmd::List {
            conn,
            about,
            from,
            to,
        } => {
            let l = BulletinsClient::new(conn.channel().await?)
                .list(pb::ListBulletinsRequest {
                    unit: about,
                    from,
                    to,
                })
                .await
                .map_err(status_error)?
                .into_inner();
            show(&l.bulletins, json, lang)
        }
    }
}
