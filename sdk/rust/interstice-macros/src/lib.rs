//! The attribute macros of the Interstice Rust SDK (docs/sdk-rust.md). Each
//! keeps the item it is on and adds what the node needs: the canonical
//! encoding and type description of a type, or the registration of a table
//! or reducer, run from a static constructor when the module is
//! instantiated. What the node would refuse at load, and what Rust can tell
//! at compile time, is refused here with a compile error.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Fields, FnArg, ItemFn, Meta, Token};

mod events;

fn error(span: Span, message: &str) -> TokenStream {
    syn::Error::new(span, message).to_compile_error().into()
}

/// A static constructor running `body` when the module is instantiated.
/// Its priority (`.init_array.N`, lower first) follows the line of the
/// attribute being expanded, so tables and reducers register in the order
/// the source declares them (and get the ids a C++ module would).
fn constructor(name: &syn::Ident, body: Tokens) -> Tokens {
    let line = proc_macro::Span::call_site().line().min(60_000);
    let section = format!(".init_array.{:05}", 1000 + line);
    quote! {
        const _: () = {
            extern "C" fn #name() { #body }
            #[used]
            #[link_section = #section]
            static __INTERSTICE_CONSTRUCTOR: extern "C" fn() = #name;
        };
    }
}

/// Encode, Decode and Describe for a struct with named fields or an enum
/// whose variants carry nothing or one value.
fn type_impls(input: &DeriveInput) -> Result<Tokens, syn::Error> {
    let name = &input.ident;
    let name_text = name.to_string();
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "an Interstice type cannot be generic",
        ));
    }
    let sdk = quote!(::interstice_sdk);
    let p = quote!(#sdk::__private);
    match &input.data {
        Data::Struct(data) => {
            let Fields::Named(fields) = &data.fields else {
                return Err(syn::Error::new(
                    name.span(),
                    "an Interstice struct needs named fields (struct Name { field: Type, … })",
                ));
            };
            let idents: Vec<_> = fields.named.iter().map(|f| f.ident.clone().unwrap()).collect();
            // A raw identifier (r#type) is the field `type` in the schema.
            let names: Vec<String> = idents.iter().map(|i| i.unraw().to_string()).collect();
            let types: Vec<_> = fields.named.iter().map(|f| f.ty.clone()).collect();
            Ok(quote! {
                impl #sdk::Encode for #name {
                    fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                        #( #sdk::Encode::encode(&self.#idents, out); )*
                    }
                }
                impl #sdk::Decode for #name {
                    fn decode(r: &mut #p::Reader) -> ::core::result::Result<Self, #sdk::DecodeError> {
                        ::core::result::Result::Ok(#name { #( #idents: <#types as #sdk::Decode>::decode(r)?, )* })
                    }
                }
                impl #sdk::Describe for #name {
                    fn describe(registry: &mut #p::TypeRegistry) -> #p::Type {
                        registry.define(#name_text, |registry| #p::TypeDef {
                            name: #name_text.to_string(),
                            kind: #p::STRUCT,
                            fields: ::std::vec![#( #p::Field {
                                name: #names.to_string(),
                                ty: <#types as #sdk::Describe>::describe(registry),
                            } ),*],
                        })
                    }
                }
            })
        }
        Data::Enum(data) => {
            let mut encode_arms = Vec::new();
            let mut decode_arms = Vec::new();
            let mut describe_fields = Vec::new();
            for (index, variant) in data.variants.iter().enumerate() {
                let tag = index as u32;
                let v = &variant.ident;
                let v_text = v.unraw().to_string();
                match &variant.fields {
                    Fields::Unit => {
                        encode_arms.push(quote!(#name::#v => #sdk::Encode::encode(&#tag, out)));
                        decode_arms.push(quote!(#tag => #name::#v));
                        describe_fields
                            .push(quote!(#p::Field { name: #v_text.to_string(), ty: #p::Type::unit() }));
                    }
                    Fields::Unnamed(one) if one.unnamed.len() == 1 => {
                        let ty = &one.unnamed[0].ty;
                        encode_arms.push(quote!(#name::#v(value) => {
                            #sdk::Encode::encode(&#tag, out);
                            #sdk::Encode::encode(value, out);
                        }));
                        decode_arms.push(quote!(#tag => #name::#v(<#ty as #sdk::Decode>::decode(r)?)));
                        describe_fields.push(quote!(#p::Field {
                            name: #v_text.to_string(),
                            ty: <#ty as #sdk::Describe>::describe(registry),
                        }));
                    }
                    _ => {
                        return Err(syn::Error::new(
                            variant.span(),
                            "an Interstice enum's variant carries nothing or one value: V or V(T)",
                        ))
                    }
                }
            }
            Ok(quote! {
                impl #sdk::Encode for #name {
                    fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                        match self { #( #encode_arms, )* }
                    }
                }
                impl #sdk::Decode for #name {
                    fn decode(r: &mut #p::Reader) -> ::core::result::Result<Self, #sdk::DecodeError> {
                        let tag = <u32 as #sdk::Decode>::decode(r)?;
                        ::core::result::Result::Ok(match tag {
                            #( #decode_arms, )*
                            _ => return ::core::result::Result::Err(#sdk::DecodeError("an enum tag out of range")),
                        })
                    }
                }
                impl #sdk::Describe for #name {
                    fn describe(registry: &mut #p::TypeRegistry) -> #p::Type {
                        registry.define(#name_text, |registry| #p::TypeDef {
                            name: #name_text.to_string(),
                            kind: #p::ENUM,
                            fields: ::std::vec![#( #describe_fields ),*],
                        })
                    }
                }
            })
        }
        Data::Union(_) => Err(syn::Error::new(name.span(), "a union has no Interstice encoding")),
    }
}

/// `#[interstice_type]` on a struct with named fields or an enum: the type
/// can be a column, a parameter, a query's value.
#[proc_macro_attribute]
pub fn interstice_type(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error(Span::call_site(), "#[interstice_type] takes no arguments");
    }
    let input = parse_macro_input!(item as DeriveInput);
    match type_impls(&input) {
        Ok(impls) => quote!(#input #impls).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Key columns: integers, bool, String, Bytes (floats are not keys: NaN
/// and -0.0 make equality ambiguous).
fn is_key_type(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else { return false };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    matches!(
        last.ident.to_string().as_str(),
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "bool" | "String" | "Bytes"
    ) && last.arguments.is_empty()
}

fn is_integer_type(ty: &syn::Type) -> bool {
    is_key_type(ty)
        && !matches!(quote!(#ty).to_string().as_str(), "bool" | "String" | "Bytes")
        && !quote!(#ty).to_string().ends_with("String")
        && !quote!(#ty).to_string().ends_with("Bytes")
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `#[table(public, stateful | ephemeral, name = "…")]` on a struct with
/// named fields: a table of those rows, named after the struct in
/// snake_case unless `name` says otherwise. Field attributes:
/// `#[primary_key]` (required, exactly one), `#[primary_key(auto_inc)]`,
/// `#[auto_inc]`, `#[index(btree)]`, `#[index(hash)]`, `#[index(btree, unique)]`,
/// `#[unique]`. Reach it with `ctx.current.<name>()`.
#[proc_macro_attribute]
pub fn table(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse(attr) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut input = parse_macro_input!(item as DeriveInput);
    let struct_name = input.ident.clone();
    let mut table_name = snake_case(&struct_name.to_string());
    let mut public = false;
    let mut persistence = quote!(::interstice_sdk::Persistence::Logged);
    let mut view = String::new();
    let mut scheduled: Option<(String, Span)> = None;
    for option in &options {
        match option {
            Meta::Path(p) if p.is_ident("public") => public = true,
            Meta::Path(p) if p.is_ident("private") => public = false,
            Meta::Path(p) if p.is_ident("stateful") => {
                persistence = quote!(::interstice_sdk::Persistence::Stateful)
            }
            Meta::Path(p) if p.is_ident("ephemeral") => {
                persistence = quote!(::interstice_sdk::Persistence::Ephemeral)
            }
            Meta::NameValue(nv)
                if nv.path.is_ident("name") || nv.path.is_ident("view") || nv.path.is_ident("scheduled") =>
            {
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                else {
                    return error(nv.span(), "name, view and scheduled take a string");
                };
                if nv.path.is_ident("name") {
                    table_name = s.value();
                } else if nv.path.is_ident("view") {
                    view = s.value();
                } else {
                    scheduled = Some((s.value(), s.span()));
                }
            }
            other => {
                return error(
                    other.span(),
                    "table options: public, private, stateful, ephemeral, name = \"…\", \
                     view = \"condition\", scheduled = \"reducer\"",
                )
            }
        }
    }
    let Data::Struct(data) = &mut input.data else {
        return error(struct_name.span(), "#[table] goes on a struct with named fields");
    };
    let Fields::Named(fields) = &mut data.fields else {
        return error(struct_name.span(), "#[table] goes on a struct with named fields");
    };
    let mut primary: Option<(u32, syn::Ident, syn::Type)> = None;
    let mut auto_inc: Option<(u32, syn::Ident, syn::Type)> = None;
    let mut indexes: Vec<(String, u32, bool, syn::Ident, syn::Type)> = Vec::new();
    let mut defaults: Vec<(u32, syn::Type, syn::Expr)> = Vec::new();
    let mut schedule_columns: Vec<u32> = Vec::new();
    for (column, field) in fields.named.iter_mut().enumerate() {
        let column = column as u32;
        let ident = field.ident.clone().unwrap();
        let ty = field.ty.clone();
        if let syn::Type::Path(path) = &ty {
            if path.path.segments.last().is_some_and(|s| s.ident == "ScheduleAt") {
                schedule_columns.push(column);
            }
        }
        let mut kept = Vec::new();
        for attr in field.attrs.drain(..) {
            let path = attr.path();
            if path.is_ident("default") {
                match attr.parse_args::<syn::Expr>() {
                    Ok(value) => defaults.push((column, ty.clone(), value)),
                    Err(e) => return e.to_compile_error().into(),
                }
                continue;
            }
            let args: Vec<String> = match &attr.meta {
                Meta::List(list) => {
                    match Punctuated::<syn::Ident, Token![,]>::parse_terminated.parse2(list.tokens.clone()) {
                        Ok(items) => items.iter().map(|i| i.to_string()).collect(),
                        Err(e) => return e.to_compile_error().into(),
                    }
                }
                _ => Vec::new(),
            };
            if path.is_ident("primary_key") {
                if primary.is_some() {
                    return error(attr.span(), "a table has one primary key");
                }
                if !is_key_type(&ty) {
                    return error(
                        ty.span(),
                        "a primary key must be an integer, bool, String or Bytes",
                    );
                }
                for a in &args {
                    if a != "auto_inc" {
                        return error(attr.span(), "#[primary_key] or #[primary_key(auto_inc)]");
                    }
                }
                if args.iter().any(|a| a == "auto_inc") {
                    if !is_integer_type(&ty) {
                        return error(ty.span(), "an auto_inc column must be an integer");
                    }
                    auto_inc = Some((column, ident.clone(), ty.clone()));
                }
                primary = Some((column, ident.clone(), ty.clone()));
            } else if path.is_ident("auto_inc") {
                if !is_integer_type(&ty) {
                    return error(ty.span(), "an auto_inc column must be an integer");
                }
                if auto_inc.is_some() {
                    return error(attr.span(), "a table has at most one auto_inc column");
                }
                auto_inc = Some((column, ident.clone(), ty.clone()));
            } else if path.is_ident("index") || path.is_ident("unique") {
                if !is_key_type(&ty) {
                    return error(
                        ty.span(),
                        "an indexed column must be an integer, bool, String or Bytes",
                    );
                }
                let unique = path.is_ident("unique") || args.iter().any(|a| a == "unique");
                for a in &args {
                    if !matches!(a.as_str(), "btree" | "hash" | "unique") {
                        return error(
                            attr.span(),
                            "#[index(btree)], #[index(hash)], #[index(btree, unique)]",
                        );
                    }
                }
                indexes.push((format!("by_{ident}"), column, unique, ident.clone(), ty.clone()));
            } else {
                kept.push(attr);
            }
        }
        field.attrs = kept;
    }
    let Some((pk_column, pk_ident, pk_type)) = primary else {
        return error(
            struct_name.span(),
            "a table needs a primary key: #[primary_key] on one field",
        );
    };
    let schedule = match scheduled {
        None => quote!(::core::option::Option::None),
        Some((reducer, span)) => {
            if schedule_columns.len() != 1 {
                return error(
                    span,
                    "a scheduled table has exactly one column of type ScheduleAt",
                );
            }
            let column = schedule_columns[0];
            quote!(::core::option::Option::Some((#column, #reducer)))
        }
    };
    let default_entries: Vec<_> = defaults
        .iter()
        .map(|(column, ty, value)| {
            quote!((#column, { let value: #ty = #value; ::interstice_sdk::codec::to_bytes(&value) }))
        })
        .collect();
    let _ = pk_ident;
    let impls = match type_impls(&input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error().into(),
    };
    let id_static = format_ident!("__INTERSTICE_TABLE_ID_{}", struct_name.to_string().to_uppercase());
    let register = format_ident!("__interstice_register_table_{}", table_name);
    let accessor = format_ident!("{}", table_name);
    let access_trait = format_ident!("{}TableAccess", struct_name);
    let handle = format_ident!("{}Handle", struct_name);
    let auto_inc_column = match &auto_inc {
        Some((c, _, _)) => quote!(::core::option::Option::Some(#c)),
        None => quote!(::core::option::Option::None),
    };
    let set_auto_inc = match &auto_inc {
        Some((_, ident, ty)) => quote! {
            fn set_auto_inc(&mut self, value: i64) { self.#ident = value as #ty; }
        },
        None => quote!(),
    };
    let index_entries: Vec<_> = indexes
        .iter()
        .map(|(name, column, unique, _, _)| quote!((#name, #column, #unique)))
        .collect();
    let index_methods: Vec<_> = indexes
        .iter()
        .enumerate()
        .map(|(i, (_, _, _, ident, ty))| {
            let index = i as i32;
            let find = format_ident!("find_by_{}", ident);
            let range = format_ident!("range_by_{}", ident);
            quote! {
                /// The rows whose column equals `value`.
                pub fn #find(&self, value: &#ty) -> ::interstice_sdk::RowIter<#struct_name> {
                    self.0.scan_index(#index, ::core::option::Option::Some(value), ::core::option::Option::Some(value))
                }
                /// The rows whose column is within `[lo, hi]`, in its order.
                pub fn #range(&self, lo: &#ty, hi: &#ty) -> ::interstice_sdk::RowIter<#struct_name> {
                    self.0.scan_index(#index, ::core::option::Option::Some(lo), ::core::option::Option::Some(hi))
                }
            }
        })
        .collect();
    let registration = constructor(
        &register,
        quote! {
            let id = ::interstice_sdk::__private::register_table::<#struct_name>(
                ::interstice_sdk::__private::TableSpec {
                    name: #table_name,
                    primary_key: #pk_column,
                    auto_inc: #auto_inc_column,
                    indexes: &[#( #index_entries ),*],
                    public: #public,
                    persistence: #persistence,
                    defaults: ::std::vec![#( #default_entries ),*],
                    schedule: #schedule,
                    view: #view,
                });
            #id_static.store(id, ::core::sync::atomic::Ordering::Relaxed);
        },
    );
    let vis = &input.vis;
    quote! {
        #input
        #impls
        static #id_static: ::core::sync::atomic::AtomicI32 = ::core::sync::atomic::AtomicI32::new(-1);
        impl ::interstice_sdk::TableRow for #struct_name {
            type Key = #pk_type;
            fn table_id() -> i32 { #id_static.load(::core::sync::atomic::Ordering::Relaxed) }
            #set_auto_inc
        }
        /// The table `#table_name`: a Table of its rows, and its index lookups.
        #vis struct #handle(pub ::interstice_sdk::Table<#struct_name>);
        impl ::core::ops::Deref for #handle {
            type Target = ::interstice_sdk::Table<#struct_name>;
            fn deref(&self) -> &Self::Target { &self.0 }
        }
        impl #handle {
            #( #index_methods )*
        }
        /// `ctx.current.#accessor()`.
        #vis trait #access_trait {
            fn #accessor(&self) -> #handle;
        }
        impl #access_trait for ::interstice_sdk::Current {
            fn #accessor(&self) -> #handle { #handle(::interstice_sdk::Table::new()) }
        }
        #registration
    }
    .into()
}

/// The parameters after the context: names and types.
fn parameters(function: &ItemFn) -> Result<(bool, Vec<(String, syn::Type)>), syn::Error> {
    let mut inputs = function.sig.inputs.iter();
    let by_reference = match inputs.next() {
        Some(FnArg::Typed(first)) => {
            let ty = &*first.ty;
            let text = quote!(#ty).to_string();
            if !text.ends_with("ReducerContext") {
                return Err(syn::Error::new(
                    first.span(),
                    "a reducer's first parameter is the ReducerContext",
                ));
            }
            matches!(ty, syn::Type::Reference(_))
        }
        _ => {
            return Err(syn::Error::new(
                function.sig.span(),
                "a reducer's first parameter is the ReducerContext: fn name(ctx: ReducerContext, …)",
            ))
        }
    };
    let mut params = Vec::new();
    for input in inputs {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new(input.span(), "a reducer is a free function"));
        };
        let name = match &*typed.pat {
            syn::Pat::Ident(i) => i.ident.unraw().to_string().trim_start_matches('_').to_string(),
            other => return Err(syn::Error::new(other.span(), "a parameter is a plain name")),
        };
        params.push((name, (*typed.ty).clone()));
    }
    Ok((by_reference, params))
}

/// Registration of `function` as a reducer of `kind`, on event `on`.
fn register_function(function: &ItemFn, kind: Tokens, on: Option<String>, query: bool) -> Tokens {
    let (by_reference, params) = match parameters(function) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    let name = &function.sig.ident;
    let name_text = name.to_string();
    let p = quote!(::interstice_sdk::__private);
    let types: Vec<_> = params.iter().map(|(_, t)| t.clone()).collect();
    let names: Vec<_> = params.iter().map(|(n, _)| n.clone()).collect();
    let values: Vec<_> = (0..params.len()).map(|i| format_ident!("arg{}", i)).collect();
    let ctx = if by_reference { quote!(&ctx) } else { quote!(ctx) };
    let invoker = format_ident!("__interstice_invoke_{}", name);
    let register = format_ident!("__interstice_register_{}", name);
    let call = quote!(#name(#ctx #(, #values)*));
    let (body, result) = if query {
        let syn::ReturnType::Type(_, ty) = &function.sig.output else {
            return syn::Error::new(
                function.sig.span(),
                "a query returns a value: fn name(ctx: ReducerContext, …) -> T",
            )
            .to_compile_error();
        };
        (
            quote!(#p::return_value(&#call)),
            quote!(::core::option::Option::Some(#p::describe::<#ty> as fn(&mut #p::TypeRegistry) -> #p::Type)),
        )
    } else {
        (quote!(#p::finish(#call)), quote!(::core::option::Option::None))
    };
    let on = match on {
        Some(event) => quote!(::core::option::Option::Some(#event)),
        None => quote!(::core::option::Option::None),
    };
    let registration = constructor(
        &register,
        quote! {
            #p::register_reducer(
                #name_text,
                &[#( (#names, #p::describe::<#types> as fn(&mut #p::TypeRegistry) -> #p::Type) ),*],
                #kind,
                #result,
                #on,
                #invoker,
            );
        },
    );
    quote! {
        #[doc(hidden)]
        fn #invoker(args: &[u8]) -> i32 {
            let ::core::result::Result::Ok((#( #values, )*)) = #p::from_bytes::<(#( #types, )*)>(args) else {
                return 2;
            };
            let ctx = ::interstice_sdk::ReducerContext::new();
            #body
        }
        #registration
    }
}

/// `#[reducer]` (callable by clients, peers and modules), `#[reducer(internal)]`
/// (this node's modules only), `#[reducer(on = "event")]` (run by the node on
/// an event: "init", "load", "input", "render", "peer.connect",
/// "peer.disconnect", "module.table.insert|update|delete", or the same with a
/// remote node's alias in front).
#[proc_macro_attribute]
pub fn reducer(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse(attr) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let function = parse_macro_input!(item as ItemFn);
    let mut kind = quote!(::interstice_sdk::__private::ReducerKind::Callable);
    let mut on = None;
    for option in &options {
        match option {
            Meta::Path(p) if p.is_ident("internal") => {
                kind = quote!(::interstice_sdk::__private::ReducerKind::Internal)
            }
            Meta::NameValue(nv) if nv.path.is_ident("on") => {
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                else {
                    return error(nv.value.span(), "on = \"event\"");
                };
                if let Err(why) = events::check(&s.value()) {
                    return error(s.span(), &why);
                }
                on = Some(s.value());
            }
            other => return error(other.span(), "reducer options: internal, on = \"event\""),
        }
    }
    let registration = register_function(&function, kind, on, false);
    quote!(#function #registration).into()
}

/// `#[query]`: a read-only question that returns a value (`fn name(ctx:
/// ReducerContext, …) -> T`). It cannot write tables or call reducers.
#[proc_macro_attribute]
pub fn query(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error(Span::call_site(), "#[query] takes no arguments");
    }
    let function = parse_macro_input!(item as ItemFn);
    let registration = register_function(
        &function,
        quote!(::interstice_sdk::__private::ReducerKind::Query),
        None,
        true,
    );
    quote!(#function #registration).into()
}

/// `#[migrate(table = "greetings", from = "<0.5.0")]` on `fn name(ctx, old:
/// OldRow)`: when this version replaces one matching `from`, the node calls
/// it once for each row of the old version's table, all in one transaction;
/// it writes what it wants into this version's tables. Only the node calls it.
#[proc_macro_attribute]
pub fn migrate(attr: TokenStream, item: TokenStream) -> TokenStream {
    let usage = "#[migrate(table = \"…\", from = \"<0.5.0\")]";
    let options = match Punctuated::<Meta, Token![,]>::parse_terminated.parse(attr) {
        Ok(o) => o,
        Err(e) => return e.to_compile_error().into(),
    };
    let function = parse_macro_input!(item as ItemFn);
    let (mut table, mut from) = (None, None);
    for option in &options {
        let Meta::NameValue(nv) = option else {
            return error(option.span(), usage);
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = &nv.value
        else {
            return error(nv.value.span(), usage);
        };
        if nv.path.is_ident("table") {
            table = Some(s.value());
        } else if nv.path.is_ident("from") {
            from = Some(s.value());
        } else {
            return error(nv.span(), usage);
        }
    }
    let (Some(table), Some(from)) = (table, from) else {
        return error(Span::call_site(), usage);
    };
    if function.sig.inputs.len() != 2 {
        return error(function.sig.span(), "a migration takes (ctx, old: OldRow)");
    }
    let name = function.sig.ident.to_string();
    let registration = register_function(
        &function,
        quote!(::interstice_sdk::__private::ReducerKind::Internal),
        None,
        false,
    );
    let register = format_ident!("__interstice_register_migration_{}", function.sig.ident);
    let migration = constructor(
        &register,
        quote!(::interstice_sdk::__private::register_migration(#table, #name, #from);),
    );
    quote!(#function #registration #migration).into()
}

/// `#[callback]`: receives a remote call's outcome, `fn name(ctx,
/// call_id: u64, ok: bool, error: String)`, or a remote query's with a
/// fourth parameter `value: Option<T>`. Only the node calls it.
#[proc_macro_attribute]
pub fn callback(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return error(Span::call_site(), "#[callback] takes no arguments");
    }
    let function = parse_macro_input!(item as ItemFn);
    let count = function.sig.inputs.len();
    if count != 4 && count != 5 {
        return error(
            function.sig.span(),
            "a callback takes (ctx, call_id: u64, ok: bool, error: String) and, for a remote query, value: Option<T>",
        );
    }
    let registration = register_function(
        &function,
        quote!(::interstice_sdk::__private::ReducerKind::Callback),
        None,
        false,
    );
    quote!(#function #registration).into()
}
